/* Provider events we keep: the outcome of every back-channel logout delivery, and server errors. */
import type Provider from 'oidc-provider'
import type { Logger } from 'pino'
import type { LogoutDelivery } from '../store/logout-deliveries.js'

export interface ProviderEventDeps {
  logger: Logger
  recordLogoutDelivery: (delivery: LogoutDelivery) => Promise<void>
}

export function createEventAttacher(deps: ProviderEventDeps) {
  return function attachEvents(provider: Provider): void {
    provider.on('backchannel.success', (_ctx: unknown, client: { clientId: string }, accountId: string, sid: string) => {
      void deps.recordLogoutDelivery({ clientId: client.clientId, accountId, sid, status: 'delivered' }).catch((err) => deps.logger.error({ err }, 'could not record logout delivery'))
    })
    provider.on('backchannel.error', (_ctx: unknown, err: Error, client: { clientId: string }, accountId: string, sid: string) => {
      deps.logger.warn({ clientId: client.clientId, reason: err.message }, 'back-channel logout delivery failed')
      void deps.recordLogoutDelivery({ clientId: client.clientId, accountId, sid, status: 'failed', error: err.message }).catch((e) => deps.logger.error({ err: e }, 'could not record logout delivery'))
    })
    provider.on('server_error', (_ctx: unknown, err: Error) => {
      deps.logger.error({ err }, 'provider server error')
    })
  }
}
