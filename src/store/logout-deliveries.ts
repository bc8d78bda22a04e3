import type { Db } from './db.js'

export interface LogoutDelivery {
  clientId: string
  sid?: string
  accountId?: string
  status: 'delivered' | 'failed'
  error?: string
}

export type LogoutDeliveryStore = ReturnType<typeof createLogoutDeliveryStore>

/** The record of each back-channel logout token sent to a portal. */
export function createLogoutDeliveryStore(db: Db) {
  return {
    async record(delivery: LogoutDelivery): Promise<void> {
      await db('logout_deliveries').insert({
        client_id: delivery.clientId,
        sid: delivery.sid ?? null,
        account_id: delivery.accountId ?? null,
        status: delivery.status,
        error: delivery.error?.slice(0, 500) ?? null,
        created_at: Date.now(),
      })
    },
    async listForClient(clientId: string, limit = 50) {
      return db('logout_deliveries').where({ client_id: clientId }).orderBy('id', 'desc').limit(limit)
    },
  }
}
