/*
 * Signing in to the account centre: an authorization code flow with PKCE against OneDoor's own
 * issuer, as any portal would do it. The code is redeemed at the token endpoint over HTTP (the
 * provider's real checks apply), the ID token is verified against the published keys, and the
 * account centre's cookie is bound to the OneDoor session's login time.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose'
import type { Context } from 'koa'
import { ACCOUNT_CENTRE_CLIENT_ID, accountCentreRedirectUri } from './first-party-client.js'
import type { CookieCodec } from './session-cookie.js'

export const LOGIN_COOKIE = 'onedoor.account.login'
export const SESSION_COOKIE = 'onedoor.account'

export interface AccountSession {
  personId: string
  /** auth_time of the OneDoor session this one came from (seconds). */
  loginTs: number
  csrf: string
}

interface LoginState {
  state: string
  nonce: string
  verifier: string
  returnTo: string
}

export interface SignInDeps {
  issuer: string
  /** Where the token endpoint is reached from inside (defaults to the issuer). */
  internalUrl?: string
  sessionSeconds: number
  cookies: CookieCodec
  loadJwks: () => Promise<JWK[]>
  fetch?: typeof fetch
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

export function createSignIn(deps: SignInDeps) {
  const doFetch = deps.fetch ?? fetch
  return { startSignIn, finishSignIn }

  /** Redirects to OneDoor's authorization endpoint; `returnTo` must be an /account path. */
  function startSignIn(ctx: Context, returnTo: string): void {
    const state = randomBytes(16).toString('base64url')
    const nonce = randomBytes(16).toString('base64url')
    const verifier = randomBytes(32).toString('base64url')
    deps.cookies.write<LoginState>(ctx, LOGIN_COOKIE, { state, nonce, verifier, returnTo: safeReturnTo(returnTo) }, 900)
    const url = new URL('/auth', deps.issuer)
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CENTRE_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: accountCentreRedirectUri(deps.issuer),
      state,
      nonce,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...(typeof ctx.query.ui_locales === 'string' ? { ui_locales: ctx.query.ui_locales } : {}),
    }).toString()
    ctx.redirect(url.toString())
  }

  /**
   * Handles the callback. Returns where to go next, or an error code for the page (the person
   * cancelled, the state does not match, the code was refused).
   */
  async function finishSignIn(ctx: Context): Promise<{ ok: true; returnTo: string; session: AccountSession } | { ok: false; error: string }> {
    const pending = deps.cookies.read<LoginState>(ctx, LOGIN_COOKIE)
    deps.cookies.clear(ctx, LOGIN_COOKIE)
    const query = ctx.query as Record<string, unknown>
    if (!pending || typeof query.state !== 'string' || query.state !== pending.state) return { ok: false, error: 'invalid_request' }
    if (typeof query.error === 'string') return { ok: false, error: query.error === 'access_denied' ? 'access_denied' : 'invalid_request' }
    // RFC 9207: the response names its issuer, so a mix-up with another provider is refused.
    if (query.iss !== undefined && query.iss !== deps.issuer) return { ok: false, error: 'invalid_request' }
    if (typeof query.code !== 'string') return { ok: false, error: 'invalid_request' }

    try {
      return await redeem(ctx, pending, query.code)
    } catch (err) {
      // The token endpoint unreachable, or an ID token that does not verify: no session, a clear page.
      ctx.state.log?.warn({ err: (err as Error).message }, 'account centre sign-in failed')
      return { ok: false, error: 'invalid_request' }
    }
  }

  async function redeem(ctx: Context, pending: LoginState, code: string): Promise<{ ok: true; returnTo: string; session: AccountSession } | { ok: false; error: string }> {
    const tokenUrl = new URL('/token', deps.internalUrl ?? deps.issuer)
    const response = await doFetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: accountCentreRedirectUri(deps.issuer),
        client_id: ACCOUNT_CENTRE_CLIENT_ID,
        code_verifier: pending.verifier,
      }).toString(),
      signal: AbortSignal.timeout(10_000),
    })
    const body = (await response.json().catch(() => ({}))) as { id_token?: string }
    if (!response.ok || typeof body.id_token !== 'string') return { ok: false, error: 'access_denied' }

    const publicKeys = (await deps.loadJwks()).map((jwk) => {
      const copy: Record<string, unknown> = { ...jwk }
      for (const member of PRIVATE_JWK_MEMBERS) delete copy[member]
      return copy as JWK
    })
    const { payload } = await jwtVerify(body.id_token, createLocalJWKSet({ keys: publicKeys }), {
      issuer: deps.issuer,
      audience: ACCOUNT_CENTRE_CLIENT_ID,
    })
    if (payload.nonce !== pending.nonce || typeof payload.sub !== 'string' || typeof payload.auth_time !== 'number') return { ok: false, error: 'access_denied' }
    const session: AccountSession = { personId: payload.sub, loginTs: payload.auth_time, csrf: randomBytes(16).toString('base64url') }
    deps.cookies.write(ctx, SESSION_COOKIE, session, deps.sessionSeconds)
    return { ok: true, returnTo: pending.returnTo, session }
  }
}

/** Only paths inside the account centre: no open redirect through ?return=. */
export function safeReturnTo(value: string | undefined): string {
  if (typeof value !== 'string' || !/^\/account(\/[A-Za-z0-9/_-]*)?$/.test(value)) return '/account'
  return value
}
