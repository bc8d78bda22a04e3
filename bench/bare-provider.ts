/*
 * The reference: oidc-provider with its own in-memory adapter, a static client and a static
 * account, built from OneDoor's own configuration function (same features, opaque tokens,
 * same TTLs and refresh policy) so that the ratio isolates what storage and OneDoor add.
 * The MemoryAdapter's store is enlarged (see below); otherwise it is oidc-provider's own.
 * Env: PORT, ISSUER, BENCH_CLIENT_SECRET, BENCH_REDIRECT_URI, BENCH_REFRESH_TOKENS (how many
 * refresh tokens to mint at start; printed as one JSON line "BENCH_SEED {...}").
 */
import http from 'node:http'
import { exportJWK, generateKeyPair } from 'jose'
import Provider, { type Configuration } from 'oidc-provider'
// @ts-expect-error oidc-provider ships no types for its internals
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js'
// @ts-expect-error oidc-provider ships no types for its internals
import LRU from 'oidc-provider/lib/helpers/lru.js'
import { loadConfig } from '../src/config/index.js'
import { buildConfiguration } from '../src/oidc/index.js'

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
  provider.use(async (ctx, next) => {
    if (ctx.path === '/readyz') {
      ctx.body = { status: 'ready' }
      return
    }
    await next()
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

main().catch((err) => {
  process.stderr.write(`bare provider failed: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
