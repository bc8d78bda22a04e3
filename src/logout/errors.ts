import { defineErrors } from '../shared/errors.js'

export const LogoutError = defineErrors('LOGOUT', {
  SESSION_NOT_FOUND: [404, 'No such active session.'],
})
