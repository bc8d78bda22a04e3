import { defineErrors } from '../shared/errors.js'

export const AccountError = defineErrors('ACCOUNT', {
  ID_NUMBER_INVALID: [400, 'The resident ID number is not valid.'],
  PHONE_INVALID: [400, 'The mobile number is not valid.'],
  NAME_INVALID: [400, 'The name must be 1 to 100 characters.'],
  PASSWORD_TOO_SHORT: [400, 'The password must be at least 8 characters.'],
  PASSWORD_TOO_LONG: [400, 'The password must be at most 128 characters.'],
  PASSWORD_COMMON: [400, 'This password is too common or too easy to guess; choose another.'],
  PASSWORD_CONTEXT: [400, 'The password must not contain your name, phone, document number or the service name.'],
  DOCUMENT_TYPE_INVALID: [400, 'The document type is not supported.'],
  DOCUMENT_INVALID: [400, 'The document number is not valid.'],
  PRIVACY_NOT_ACCEPTED: [400, 'Please read and accept the privacy notice.'],
  SIGN_IN_THROTTLED: [429, 'Too many failed attempts. Please try again later or reset your password.'],
  PASSWORD_WRONG: [400, 'The current password is not correct.'],
  SMS_CODE_INVALID: [400, 'The SMS code is wrong or has expired.'],
  ALREADY_EXISTS: [409, 'An account with this ID number or mobile number already exists.'],
  NOT_FOUND: [404, 'No such account.'],
})
