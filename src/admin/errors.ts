import { defineErrors } from '../shared/errors.js'

/** Administration errors. FORBIDDEN never says whether the target exists outside the actor's scope. */
export const AdminError = defineErrors('ADMIN', {
  UNAUTHENTICATED: [401, 'Sign in as an administrator first.'],
  FORBIDDEN: [403, 'You are not allowed to do this for that division.'],
  NOT_FOUND: [404, 'No such record in your scope.'],
  INVALID_INPUT: [400, 'The request is not valid.'],
  LOGIN_UNKNOWN: [400, 'No account has that ID number or mobile number.'],
  ROLE_DIVISION_MISMATCH: [400, 'That role is bound to another division level.'],
  DIVISION_UNKNOWN: [400, 'Unknown division code.'],
  ALREADY_ADMIN: [409, 'That person already holds this role for this division.'],
  CLIENT_METADATA_INVALID: [400, 'The service system settings are not valid.'],
  LOCKED: [423, 'This administrator is locked after too many failed sign-ins; try again later.'],
  ASSURANCE_TOO_LOW: [403, 'Administrators must sign in at the required assurance level.'],
  PASSWORD_EXPIRED: [403, 'Your administrator password must be changed in the console (/admin/password) first.'],
  PASSWORD_WRONG: [400, 'The current password is not correct.'],
  PASSWORD_UNCHANGED: [400, 'Choose a password different from the current one.'],
  PASSWORD_MISMATCH: [400, 'The two new passwords differ.'],
})
