/*
 * "Sign out everywhere" deletes the person's sessions and their grants, but a request already in
 * flight can write back what it loaded before (oidc-provider saves the session at the end of a
 * sign-in, with the code it issued). So the ending also records a time on the person, and what
 * was authenticated at or before it is refused when used: the session at the authorization
 * endpoint and the account centre, codes, and tokens that live and die with their session.
 *
 * Authentication times are whole seconds (auth_time, a token's iat), so the cut takes the whole
 * second it falls in: a sign-in finished later in that same second is refused too and the person
 * signs in again, rather than an in-flight one from just before slipping through.
 */

/**
 * Whether something authenticated or issued at `authTimeSeconds` was cut off by `notBeforeMs`
 * (null: never cut). The administrators' API tokens are cut by the same rule (admin/service.ts).
 */
export function isCutOff(notBeforeMs: number | null | undefined, authTimeSeconds: number | undefined): boolean {
  if (notBeforeMs == null) return false
  return authTimeSeconds === undefined || authTimeSeconds <= Math.floor(notBeforeMs / 1000)
}
