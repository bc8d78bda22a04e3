import { defineErrors } from '../shared/errors.js'

export const MfaError = defineErrors('MFA', {
  CODE_INVALID: [401, 'The one-time code is not valid.'],
  TOO_MANY_ATTEMPTS: [429, 'Too many attempts. Start the sign-in again.'],
  NOT_ENROLLED: [409, 'No authenticator app is set up for this account.'],
  ENROLMENT_INVALID: [400, 'The set-up of the authenticator app expired. Start it again.'],
})
