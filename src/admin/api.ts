/*
 * The admin JSON API under /admin/api: bearer access tokens that OneDoor issued for the admin
 * resource (JWT, audience `${issuer}/admin/api`, scope `admin`), refused once revoked (see
 * tokenRevoked) or while the administrator's password must be changed. Thin handlers: parse with the
 * shared zod schemas, call the administration service (which checks can()), answer JSON.
 */
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import type { Context } from 'koa'
import type { Audit } from '../audit/index.js'
import type { Actor } from './roles.js'
import { AdminError } from './errors.js'
import { buildOpenApi } from './openapi.js'
import * as S from './schemas.js'
import type { Administration } from './service.js'
import type { TokenVerifier } from './tokens.js'
import { parseInput } from './validate.js'

export interface AdminApiDeps {
  issuer: string
  /** acr the token's sign-in must have reached (config.admin.requiredAcr); null = any. */
  requiredAcr: string | null
  administration: Administration
  audit: Audit
  tokens: TokenVerifier
}

export function adminApiRoutes(deps: AdminApiDeps): Router {
  const router = new Router({ prefix: '/admin/api' })
  const { administration: admin } = deps
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', onError: () => { throw AdminError.INVALID_INPUT() } })
  const openapi = buildOpenApi(deps.issuer)

  router.use(async (ctx, next) => {
    ctx.set('cache-control', 'no-store')
    // API callers always get JSON errors, whatever their Accept header says.
    ctx.request.headers.accept = 'application/json'
    await next()
  })

  router.get('/openapi.json', (ctx) => {
    ctx.body = openapi
  })

  router.use(async (ctx, next) => {
    if (ctx.path === '/admin/api/openapi.json') return next()
    const header = ctx.get('authorization')
    const token = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header)?.[1]
    const payload = token ? await deps.tokens.accessToken(token) : undefined
    if (!payload) {
      ctx.set('www-authenticate', 'Bearer realm="onedoor-admin", error="invalid_token"')
      throw AdminError.UNAUTHENTICATED()
    }
    if (deps.requiredAcr && payload.acr !== deps.requiredAcr) {
      await deps.audit.record({ type: 'admin.access.denied', actor: { type: 'admin', id: String(payload.sub), ip: ctx.ip }, result: 'failure', errorCode: 'ADMIN_ASSURANCE_TOO_LOW', details: { acr: payload.acr ?? null } })
      throw AdminError.ASSURANCE_TOO_LOW()
    }
    // A JWT is valid until it expires; this read makes ending the sessions, disabling the account
    // or changing the password cut the administrator's API access at the next request.
    if (await admin.tokenRevoked(String(payload.sub), payload.iat)) {
      ctx.set('www-authenticate', 'Bearer realm="onedoor-admin", error="invalid_token", error_description="token revoked"')
      throw AdminError.UNAUTHENTICATED()
    }
    const actor = await admin.actorFor(String(payload.sub), { ip: ctx.ip, userAgent: ctx.get('user-agent') })
    if (!actor) throw AdminError.FORBIDDEN()
    if (await admin.passwordExpired(actor.personId)) throw AdminError.PASSWORD_EXPIRED()
    ctx.state.actor = actor
    await next()
  })

  const actorOf = (ctx: Context): Actor => ctx.state.actor as Actor
  const body = (ctx: Context) => (ctx.request as unknown as { body?: unknown }).body

  router.get('/me', (ctx) => {
    const actor = actorOf(ctx)
    ctx.body = { personId: actor.personId, grants: actor.grants }
  })

  router.get('/clients', async (ctx) => {
    const q = parseInput(S.ClientListQuery, ctx.query)
    ctx.body = { clients: await admin.listClients(actorOf(ctx), q.division) }
  })
  router.post('/clients', json, async (ctx) => {
    ctx.status = 201
    ctx.body = await admin.createClient(actorOf(ctx), parseInput(S.ClientCreateInput, body(ctx)))
  })
  router.get('/clients/:id', async (ctx) => {
    ctx.body = await admin.getClient(actorOf(ctx), ctx.params.id)
  })
  router.patch('/clients/:id', json, async (ctx) => {
    const input = parseInput(S.ClientUpdateInput, body(ctx))
    ctx.body = await admin.updateClient(actorOf(ctx), ctx.params.id, input)
  })
  router.post('/clients/:id/suspend', async (ctx) => {
    ctx.body = await admin.setClientStatus(actorOf(ctx), ctx.params.id, 'suspended')
  })
  router.post('/clients/:id/activate', async (ctx) => {
    ctx.body = await admin.setClientStatus(actorOf(ctx), ctx.params.id, 'active')
  })
  router.post('/clients/:id/rotate-secret', async (ctx) => {
    ctx.body = await admin.rotateClientSecret(actorOf(ctx), ctx.params.id)
  })
  router.get('/clients/:id/health', async (ctx) => {
    ctx.body = await admin.clientHealth(actorOf(ctx), ctx.params.id)
  })

  // A POST: the search term may be an ID number or phone, which must never travel in a URL.
  router.post('/persons/search', json, async (ctx) => {
    const q = parseInput(S.PersonSearchQuery, body(ctx))
    ctx.body = { persons: await admin.searchPersons(actorOf(ctx), q.q) }
  })
  router.get('/persons/:id', async (ctx) => {
    ctx.body = await admin.viewPerson(actorOf(ctx), ctx.params.id)
  })
  router.post('/persons/:id/disable', json, async (ctx) => {
    ctx.body = await admin.setPersonDisabled(actorOf(ctx), ctx.params.id, true, parseInput(S.ReasonInput, body(ctx)).reason)
  })
  router.post('/persons/:id/enable', json, async (ctx) => {
    ctx.body = await admin.setPersonDisabled(actorOf(ctx), ctx.params.id, false, parseInput(S.ReasonInput, body(ctx)).reason)
  })
  router.post('/persons/:id/end-sessions', json, async (ctx) => {
    ctx.body = await admin.endPersonSessions(actorOf(ctx), ctx.params.id, parseInput(S.ReasonInput, body(ctx)).reason)
  })
  router.post('/persons/:id/unlock', json, async (ctx) => {
    ctx.body = await admin.unlockPerson(actorOf(ctx), ctx.params.id, parseInput(S.ReasonInput, body(ctx)).reason)
  })
  router.post('/persons/:id/reset-mfa', json, async (ctx) => {
    ctx.body = await admin.resetMfa(actorOf(ctx), ctx.params.id, parseInput(S.ReasonInput, body(ctx)).reason)
  })
  router.post('/persons/:id/counter-verification', json, async (ctx) => {
    ctx.body = await admin.verifyAtCounter(actorOf(ctx), ctx.params.id, parseInput(S.CounterVerificationInput, body(ctx)))
  })
  router.post('/persons/:id/reveal-id-number', json, async (ctx) => {
    ctx.body = await admin.revealIdNumber(actorOf(ctx), ctx.params.id, parseInput(S.ReasonInput, body(ctx)).reason)
  })

  router.post('/enterprises/search', json, async (ctx) => {
    ctx.body = await admin.findEnterprise(actorOf(ctx), parseInput(S.EnterpriseSearchInput, body(ctx)).uscc)
  })
  router.get('/enterprises/:id', async (ctx) => {
    ctx.body = await admin.viewEnterprise(actorOf(ctx), ctx.params.id)
  })
  router.post('/enterprises/:id/verify', json, async (ctx) => {
    ctx.body = await admin.verifyEnterprise(actorOf(ctx), ctx.params.id, parseInput(S.EnterpriseVerifyInput, body(ctx)))
  })
  router.post('/enterprises/:id/legal-representative', json, async (ctx) => {
    ctx.body = await admin.setLegalRepresentative(actorOf(ctx), ctx.params.id, parseInput(S.LegalRepresentativeInput, body(ctx)))
  })
  router.post('/enterprises/:id/mandates/:mandateId/revoke', json, async (ctx) => {
    ctx.body = await admin.revokeMandate(actorOf(ctx), ctx.params.id, ctx.params.mandateId, parseInput(S.ReasonInput, body(ctx)).reason)
  })

  router.get('/admins', async (ctx) => {
    ctx.body = { admins: await admin.listAdmins(actorOf(ctx)) }
  })
  router.post('/admins', json, async (ctx) => {
    const input = parseInput(S.AdminGrantInput, body(ctx))
    ctx.status = 201
    ctx.body = await admin.addAdmin(actorOf(ctx), input)
  })

  router.get('/audit', async (ctx) => {
    const q = parseInput(S.AuditQueryInput, ctx.query)
    const actor = actorOf(ctx)
    const prefixes = await admin.auditPrefixes(actor)
    const filter = { divisionPrefixes: prefixes, from: q.from ? Date.parse(q.from) : undefined, to: q.to ? Date.parse(q.to) + 86_400_000 : undefined, type: q.type, targetId: q.target }
    if (q.format === 'csv') {
      const chunks: string[] = []
      const count = await deps.audit.exportCsv(filter, (chunk) => void chunks.push(chunk))
      await deps.audit.record({ type: 'audit.trail.exported', actor: { type: 'admin', id: actor.personId, ip: actor.ip }, details: { count, from: q.from, to: q.to, type: q.type } })
      ctx.type = 'text/csv; charset=utf-8'
      ctx.set('content-disposition', 'attachment; filename="onedoor-audit.csv"')
      ctx.body = chunks.join('')
      return
    }
    const records = await deps.audit.query({ ...filter, limit: q.limit })
    ctx.body = { records: records.map(({ prevHash: _p, ...r }) => ({ ...r, at: new Date(r.at).toISOString(), details: JSON.parse(r.details) })) }
  })

  return router
}
