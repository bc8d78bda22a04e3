import { defineErrors } from '../shared/errors.js'

export const AccountError = defineErrors('ACCOUNT', {
  ID_NUMBER_INVALID: [400, 'The resident ID number is not valid.'],
  PHONE_INVALID: [400, 'The mobile number is not valid.'],
  NAME_INVALID: [400, 'The name must be 1 to 100 characters.'],
  PASSWORD_TOO_SHORT: [400, 'The password must be at least 8 characters.'],
  PASSWORD_TOO_LONG: [400, 'The password must be at most 128 characters.'],
  ALREADY_EXISTS: [409, 'An account with this ID number or mobile number already exists.'],
  NOT_FOUND: [404, 'No such account.'],
})
