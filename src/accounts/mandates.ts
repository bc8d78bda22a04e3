/*
 * Mandates (授权): the legal representative lets an agent (经办人) act for the enterprise, for all
 * matters or for listed service systems (client ids), until a date; and revokes. Whether someone
 * may act for an enterprise is decided here, at every token issuance and refresh, so a change
 * takes effect at the next one.
 */
import { defineErrors } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import type { EnterpriseStore, MandateRow } from '../store/enterprises.js'
import type { Enterprise, Enterprises } from './enterprises.js'

export const MandateError = defineErrors('MANDATE', {
  NOT_LEGAL_REPRESENTATIVE: [403, 'Only the legal representative can manage agents of this organisation.'],
  AGENT_INVALID: [400, 'The agent must be a registered person, given by resident ID number.'],
  AGENT_IS_REPRESENTATIVE: [400, 'The legal representative does not need a mandate.'],
  UNTIL_INVALID: [400, 'The end date must be a valid date in the future (YYYY-MM-DD).'],
  CLIENTS_INVALID: [400, 'The service systems must be a list of registered client ids.'],
  NOT_FOUND: [404, 'No such active mandate.'],
})

export type AgentRole = 'legal_representative' | 'agent'

export interface Mandate {
  id: string
  enterpriseId: string
  agentId: string
  clientIds: string[] | null
  validUntil: number | null
  createdAt: number
  revokedAt: number | null
}

/** Someone a person may act for at a client: the enterprise and in which role. */
export interface ActingOption {
  enterprise: Enterprise
  role: AgentRole
  mandateId: string | null
}

export interface MandatesDeps {
  store: EnterpriseStore
  enterprises: Enterprises
  /** True when a client id is registered (the service-system list is checked before writing). */
  clientExists: (clientId: string) => Promise<boolean>
  now?: () => number
}

export interface NewMandate {
  enterpriseId: string
  agentIdNumber: string
  /** YYYY-MM-DD (end of that day, China Standard Time), or undefined for no end date. */
  until?: string
  /** Client ids, or undefined / empty for all matters. */
  clientIds?: string[]
}

export type Mandates = ReturnType<typeof createMandates>

export function createMandates(deps: MandatesDeps) {
  const now = deps.now ?? Date.now
  return { validateNewMandate, grantMandate, revokeMandate, listMandates, actingOptions, checkActing }

  /** `actorId` must be the legal representative (the CLI passes the enterprise's own representative). */
  async function validateNewMandate(actorId: string, input: NewMandate) {
    const problems = []
    const enterprise = await deps.enterprises.findEnterprise(input.enterpriseId)
    if (!enterprise || enterprise.legalRepresentativeId !== actorId) problems.push(MandateError.NOT_LEGAL_REPRESENTATIVE())
    const agentId = await deps.enterprises.findPersonIdByIdNumber(input.agentIdNumber ?? '')
    if (!agentId) problems.push(MandateError.AGENT_INVALID())
    else if (enterprise && agentId === enterprise.legalRepresentativeId) problems.push(MandateError.AGENT_IS_REPRESENTATIVE())
    const validUntil = parseUntil(input.until, now())
    if (validUntil === 'invalid') problems.push(MandateError.UNTIL_INVALID())
    const clientIds = (input.clientIds ?? []).map((c) => c.trim()).filter(Boolean)
    for (const clientId of clientIds) {
      if (!/^[\w.-]{1,64}$/.test(clientId) || !(await deps.clientExists(clientId))) {
        problems.push(MandateError.CLIENTS_INVALID({ clientId: clientId.slice(0, 64) }))
        break
      }
    }
    return { problems, agentId, validUntil: validUntil === 'invalid' ? null : validUntil, clientIds: clientIds.length ? [...new Set(clientIds)] : null }
  }

  async function grantMandate(actorId: string, input: NewMandate): Promise<Mandate> {
    const checked = await validateNewMandate(actorId, input)
    if (checked.problems.length > 0) throw checked.problems[0]
    const row: MandateRow = {
      id: newId(),
      enterpriseId: input.enterpriseId,
      agentId: checked.agentId!,
      clientIds: checked.clientIds,
      validUntil: checked.validUntil,
      grantedBy: actorId,
      createdAt: now(),
      revokedAt: null,
      revokedBy: null,
    }
    await deps.store.insertMandate(row)
    return toMandate(row)
  }

  async function revokeMandate(actorId: string, enterpriseId: string, mandateId: string): Promise<void> {
    const enterprise = await deps.enterprises.findEnterprise(enterpriseId)
    if (!enterprise || enterprise.legalRepresentativeId !== actorId) throw MandateError.NOT_LEGAL_REPRESENTATIVE()
    if (!(await deps.store.revokeMandate(mandateId, enterpriseId, actorId, now()))) throw MandateError.NOT_FOUND()
  }

  async function listMandates(actorId: string, enterpriseId: string): Promise<(Mandate & { agentName: string })[]> {
    const enterprise = await deps.enterprises.findEnterprise(enterpriseId)
    if (!enterprise || enterprise.legalRepresentativeId !== actorId) throw MandateError.NOT_LEGAL_REPRESENTATIVE()
    const rows = await deps.store.listMandatesOfEnterprise(enterpriseId)
    return Promise.all(rows.map(async (r) => ({ ...toMandate(r), agentName: (await deps.store.findPersonName(r.agentId)) ?? '' })))
  }

  /** Everyone a person may act for at this client now: enterprises they represent, then valid mandates. */
  async function actingOptions(personId: string, clientId: string): Promise<ActingOption[]> {
    const at = now()
    const options: ActingOption[] = (await deps.enterprises.listRepresentedBy(personId)).map((enterprise) => ({ enterprise, role: 'legal_representative', mandateId: null }))
    for (const row of await deps.store.listMandatesOfAgent(personId)) {
      if (!isMandateValid(row, clientId, at) || options.some((o) => o.enterprise.id === row.enterpriseId)) continue
      const enterprise = await deps.enterprises.findEnterprise(row.enterpriseId)
      if (enterprise) options.push({ enterprise, role: 'agent', mandateId: row.id })
    }
    return options
  }

  /** The role in which `personId` may act for `enterpriseId` at `clientId` right now, or undefined. */
  async function checkActing(personId: string, enterpriseId: string, clientId: string): Promise<ActingOption | undefined> {
    return (await actingOptions(personId, clientId)).find((o) => o.enterprise.id === enterpriseId)
  }
}

function isMandateValid(row: MandateRow, clientId: string, at: number): boolean {
  if (row.revokedAt !== null) return false
  if (row.validUntil !== null && row.validUntil <= at) return false
  return row.clientIds === null || row.clientIds.includes(clientId)
}

/** YYYY-MM-DD -> the end of that day in China Standard Time (UTC+8), epoch ms; must be in the future. */
export function parseUntil(until: string | undefined, nowMs: number): number | null | 'invalid' {
  if (until === undefined || until.trim() === '') return null
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(until.trim())
  if (!match) return 'invalid'
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return 'invalid'
  const endOfDay = Date.UTC(year, month - 1, day + 1) - 8 * 3600 * 1000
  return endOfDay > nowMs ? endOfDay : 'invalid'
}

function toMandate(row: MandateRow): Mandate {
  return { id: row.id, enterpriseId: row.enterpriseId, agentId: row.agentId, clientIds: row.clientIds, validUntil: row.validUntil, createdAt: row.createdAt, revokedAt: row.revokedAt }
}
