/*
 * The reference: oidc-provider with its own in-memory adapter, a static client and a static
 * account, built from OneDoor's own configuration function (same features, opaque tokens,
 * same TTLs and refresh policy) so that the ratio isolates what storage and OneDoor add.
 * The MemoryAdapter's store is enlarged (see below); otherwise it is oidc-provider's own.
 * Sign-in is the minimal interaction a bare deployment with a password would have: a login page
 * with a form, and a POST that does one argon2id verify (OneDoor's parameters) against a static
 * hash, then finishes with login + a grant of the requested scopes (so no consent page).
 * Env: PORT, ISSUER, BENCH_CLIENT_SECRET, BENCH_REDIRECT_URI, BENCH_PASSWORD, BENCH_REFRESH_TOKENS
 * (how many refresh tokens to mint at start; printed as one JSON line "BENCH_SEED {...}").
 */
import http from 'node:http'
import argon2 from 'argon2'
import type Koa from 'koa'
import { exportJWK, generateKeyPair } from 'jose'
import Provider, { type Configuration } from 'oidc-provider'
// @ts-expect-error oidc-provider ships no types for its internals
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js'
// @ts-expect-error oidc-provider ships no types for its internals
import LRU from 'oidc-provider/lib/helpers/lru.js'
import { availableParallelism } from 'node:os'
import { loadConfig } from '../src/config/index.js'
import { limitConcurrency } from '../src/shared/limit-concurrency.js'
import { buildConfiguration } from '../src/oidc/index.js'

// Same rule as OneDoor (src/accounts/passwords.ts): one argon2 verify per usable core, so the
// reference measures what oidc-provider + argon2 cost, not hashes competing for one pinned core.
const oneHashPerCore = limitConcurrency(availableParallelism())
const CLIENT_ID = 'bench-client'
const ACCOUNT_ID = 'bench-account'

async function main(): Promise<void> {
  const config = loadConfig()
  const jwks = []
  for (const alg of config.keys.algorithms) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true })
    jwks.push({ ...(await exportJWK(privateKey)), kid: `bare-${alg}`, alg, use: 'sig' })
  }
  const configuration: Configuration = buildConfiguration(config, {
    adapter: undefined as never,
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, name: '张三', phone_number: '+8613800138000', phone_number_verified: false }),
    }),
    jwks: jwks as never,
    fetch: fetch as never,
    pages: {
      renderError: async (ctx, out) => { ctx.type = 'json'; ctx.body = out },
      logoutSource: async (ctx, form) => { ctx.body = form },
      postLogoutSuccessSource: async (ctx) => { ctx.body = 'signed out' },
    },
  })
  // oidc-provider's MemoryAdapter. Its default store keeps only 1,000 entries, so under load it
  // would evict live refresh tokens and grants: the same adapter over a larger store of that kind.
  const store = new LRU({ maxSize: 1_000_000 })
  configuration.adapter = class extends MemoryAdapter {
    constructor(model: string) {
      super(model, store)
    }
  } as never
  configuration.clients = [{
    client_id: CLIENT_ID,
    client_secret: process.env.BENCH_CLIENT_SECRET!,
    client_name: 'Bench portal',
    redirect_uris: [process.env.BENCH_REDIRECT_URI!],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }]
  const provider = new Provider(config.issuer, configuration)
  provider.proxy = true
  // Hashed once at start-up, off the readiness path (cold start stays comparable); the first
  // POST waits for it.
  const { argon2: params } = config.passwords
  const passwordHash = argon2.hash(process.env.BENCH_PASSWORD!, { type: argon2.argon2id, memoryCost: params.memoryKiB, timeCost: params.timeCost, parallelism: params.parallelism })
  provider.use(async (ctx, next) => {
    if (ctx.path === '/readyz') {
      ctx.body = { status: 'ready' }
      return
    }
    const interaction = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path)
    if (!interaction) return next()
    const details = await provider.interactionDetails(ctx.req, ctx.res)
    if (ctx.method === 'GET' && !interaction[2]) {
      ctx.type = 'html'
      ctx.body = `<!doctype html><form method="post" action="/interaction/${details.uid}/login"><input name="identifier"><input name="password" type="password"><button>Sign in</button></form>`
      return
    }
    if (ctx.method !== 'POST' || !interaction[2]) return next()
    const form = await readForm(ctx)
    if (form.get('identifier') !== ACCOUNT_ID || !(await oneHashPerCore(async () => argon2.verify(await passwordHash, form.get('password') ?? '')))) {
      ctx.status = 401
      ctx.body = 'wrong identifier or password'
      return
    }
    const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: String(details.params.client_id) })
    grant.addOIDCScope(String(details.params.scope))
    const result = { login: { accountId: ACCOUNT_ID, amr: ['pwd'] }, consent: { grantId: await grant.save() } }
    ctx.status = 303
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }))
  })

  const refreshTokens: string[] = []
  const client = (await provider.Client.find(CLIENT_ID))!
  for (let i = 0; i < Number(process.env.BENCH_REFRESH_TOKENS ?? 0); i += 1) {
    const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: CLIENT_ID })
    grant.addOIDCScope('openid profile phone')
    const grantId = await grant.save()
    const now = Math.floor(Date.now() / 1000)
    // Like a token from a real sign-in without offline_access: bound to a session, so refresh
    // and introspection look the session up (as they do on OneDoor).
    const SessionModel = provider.Session as unknown as new (payload: object) => { uid: string; ensureClientContainer(id: string): void; grantIdFor(id: string, value: string): void; save(ttl: number): Promise<string> }
    const session = new SessionModel({ accountId: ACCOUNT_ID, loginTs: now, amr: ['pwd'] })
    session.ensureClientContainer(CLIENT_ID)
    session.grantIdFor(CLIENT_ID, grantId)
    await session.save(config.tokens.sessionSeconds)
    const token = new provider.RefreshToken({ accountId: ACCOUNT_ID, client, grantId, scope: 'openid profile phone', gty: 'authorization_code', authTime: now, iiat: now, rotations: 0, sessionUid: session.uid, expiresWithSession: true } as never)
    refreshTokens.push(await token.save())
  }

  const server = http.createServer(provider.callback())
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve) => server.listen(config.port, '127.0.0.1', resolve))
  process.stdout.write(`BENCH_SEED ${JSON.stringify({ clientId: CLIENT_ID, refreshTokens })}\n`)
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
}

async function readForm(ctx: Koa.Context): Promise<URLSearchParams> {
  const chunks: Buffer[] = []
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

main().catch((err) => {
  process.stderr.write(`bare provider failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
