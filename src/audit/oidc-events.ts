/*
 * oidc-provider events → audit records (one place, B8). Listeners must not block or throw
 * inside the provider: each record is handed to `sink`, which writes it and logs a failure.
 * Logout deliveries are recorded where they are sent (src/logout/), not from the provider.
 */
import type Provider from 'oidc-provider'
import type { KoaContextWithOIDC } from 'oidc-provider'
import type { AuditEvent } from './events.js'

export type AuditSink = (event: AuditEvent) => void

export function attachAuditEvents(provider: Provider, sink: AuditSink): void {
  const from = (ctx: KoaContextWithOIDC | undefined, accountId?: string | null) => ({
    type: accountId ? ('person' as const) : ('client' as const),
    id: accountId ?? null,
    clientId: ctx?.oidc?.client?.clientId ?? null,
    ip: ctx?.ip ?? null,
    userAgent: ctx?.get?.('user-agent') ?? null,
  })

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const entities = ctx.oidc.entities as Record<string, { accountId?: string; grantId?: string } | undefined>
    const accountId = entities.AccessToken?.accountId ?? entities.RefreshToken?.accountId ?? entities.ClientCredentials?.accountId ?? null
    sink({ type: 'oidc.token.issued', actor: from(ctx, accountId), target: { type: 'client', id: ctx.oidc.client?.clientId ?? '' }, details: { grantType: ctx.oidc.params?.grant_type ?? null } })
  })
  provider.on('authorization.success', (ctx: KoaContextWithOIDC) => {
    const accountId = ctx.oidc.session?.accountId ?? null
    sink({ type: 'oidc.authorization.accepted', actor: from(ctx, accountId), target: { type: 'client', id: ctx.oidc.client?.clientId ?? '' }, details: { scope: ctx.oidc.params?.scope ?? null, acr: ctx.oidc.acr ?? null } })
  })
  provider.on('grant.saved', (grant: { accountId?: string; clientId?: string; jti?: string }) => {
    sink({ type: 'oidc.consent.granted', actor: { type: 'person', id: grant.accountId ?? null, clientId: grant.clientId ?? null }, target: { type: 'grant', id: grant.jti ?? '' } })
  })
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    sink({ type: 'oidc.grant.revoked', actor: from(ctx, null), target: { type: 'grant', id: grantId } })
  })
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    const accountId = (ctx.oidc.entities as { Session?: { accountId?: string } }).Session?.accountId ?? null
    sink({ type: 'oidc.session.ended', actor: from(ctx, accountId), details: {} })
  })
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    sink({ type: 'oidc.server.errored', actor: from(ctx, null), result: 'failure', errorCode: 'server_error', details: { name: err?.name ?? 'Error' } })
  })
}
