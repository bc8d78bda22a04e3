/*
 * Pluggable SMS delivery. `log` (development, tests) writes each message to the sms_outbox
 * table and logs only that a message went out; `http` posts JSON to the vendor's endpoint.
 * Neither logs the code or the full phone number.
 */
import type { Logger } from 'pino'

export type SmsPurpose = 'register' | 'login' | 'reset'

export interface SmsMessage {
  phone: string
  template: SmsPurpose
  params: { code: string; minutes: string }
}

export interface SmsGateway {
  readonly driver: 'log' | 'http'
  send(message: SmsMessage): Promise<void>
}

export interface OutboxWriter {
  insertOutbox(message: { id: string; phone: string; template: string; params: Record<string, string>; createdAt: number }): Promise<void>
}

export function maskPhone(phone: string): string {
  return `${phone.slice(0, 3)}****${phone.slice(-4)}`
}

export function createLogGateway(deps: { outbox: OutboxWriter; logger: Logger; newId: () => string; now?: () => number }): SmsGateway {
  const now = deps.now ?? Date.now
  return {
    driver: 'log',
    async send(message) {
      await deps.outbox.insertOutbox({ id: deps.newId(), phone: message.phone, template: message.template, params: message.params, createdAt: now() })
      deps.logger.info({ event: 'sms.sent', driver: 'log', template: message.template, phone: maskPhone(message.phone) }, 'sms written to outbox')
    },
  }
}

export interface HttpGatewaySettings {
  url: string
  token?: string
  templates: Record<SmsPurpose, string>
  timeoutMs: number
}

/**
 * Posts `{ phone, template, params }` (template = the vendor's template id) with a bearer token.
 * Any non-2xx answer, network error or timeout is a failed send; the caller tells the user to retry.
 */
export function createHttpGateway(settings: HttpGatewaySettings, deps: { logger: Logger; fetch?: typeof fetch }): SmsGateway {
  const doFetch = deps.fetch ?? fetch
  return {
    driver: 'http',
    async send(message) {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
      if (settings.token) headers.authorization = `Bearer ${settings.token}`
      const response = await doFetch(settings.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ phone: message.phone, template: settings.templates[message.template], params: message.params }),
        signal: AbortSignal.timeout(settings.timeoutMs),
        redirect: 'error',
      })
      await response.body?.cancel()
      if (!response.ok) throw new Error(`SMS vendor answered ${response.status}`)
      deps.logger.info({ event: 'sms.sent', driver: 'http', template: message.template, phone: maskPhone(message.phone) }, 'sms sent')
    },
  }
}
