import { defineErrors } from '../shared/errors.js'

export const SmsError = defineErrors('SMS', {
  CODE_INVALID: [400, 'The SMS code is wrong or has expired.'],
  TOO_MANY: [429, 'Too many codes requested. Please wait and try again later.'],
  SEND_FAILED: [503, 'The SMS could not be sent. Please try again later.'],
  PHONE_INVALID: [400, 'The mobile number is not valid.'],
})
