/*
 * Provider events we keep: server errors. Back-channel logout deliveries are no longer the
 * provider's: src/logout/ takes the sending over (bounded wait, queue, retries) and records
 * every attempt itself, so the provider's backchannel.success/error events (which now only
 * mean "collected") are not recorded here.
 */
import type Provider from 'oidc-provider'
import type { Logger } from 'pino'
import { attachAuditEvents, type AuditSink } from '../audit/oidc-events.js'

export interface ProviderEventDeps {
  logger: Logger
  /** Audit trail (issue 5): sign-in, token, consent, revocation and logout events. */
  audit?: AuditSink
}

export function createEventAttacher(deps: ProviderEventDeps) {
  return function attachEvents(provider: Provider): void {
    provider.on('server_error', (_ctx: unknown, err: Error) => {
      deps.logger.error({ err }, 'provider server error')
    })
    if (deps.audit) attachAuditEvents(provider, deps.audit)
  }
}
