/* Second factor (TOTP + recovery codes). The only file other domains import. */
export { createEnrolment, type Enrolment } from './enrolment.js'
export { createVerification, type Verification } from './verification.js'
export { matchTotpStep, totpCodeAt, PERIOD_SECONDS } from './totp.js'
export { MfaError } from './errors.js'
export type { MfaStore, TotpSettings, MfaKeys, PendingEnrolment } from './types.js'
