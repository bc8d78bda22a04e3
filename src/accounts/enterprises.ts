/*
 * Legal persons (法人): registered by unified social credit code, with the legal representative
 * linked to a natural-person account. The kind (enterprise, public institution, …) is derived
 * from the code itself, never typed in.
 */
import { blindIndex } from '../shared/crypto.js'
import { defineErrors } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import type { EnterpriseRow, EnterpriseStore } from '../store/enterprises.js'
import { parseIdNumber } from './id-number.js'
import { parseUscc, type EnterpriseKind } from './uscc.js'

export const EnterpriseError = defineErrors('ENTERPRISE', {
  USCC_INVALID: [400, 'The unified social credit code is not valid.'],
  NAME_INVALID: [400, 'The organisation name must be 1 to 200 characters, without control characters.'],
  LEGAL_REPRESENTATIVE_INVALID: [400, 'The legal representative must be a registered person, given by resident ID number.'],
  ALREADY_EXISTS: [409, 'An organisation with this unified social credit code is already registered.'],
  NOT_FOUND: [404, 'No such organisation.'],
})

export interface Enterprise {
  id: string
  uscc: string
  name: string
  kind: EnterpriseKind
  legalRepresentativeId: string
}

export interface NewEnterprise {
  uscc: string
  name: string
  /** The legal representative's resident ID number; they must already have an account. */
  legalRepresentativeIdNumber: string
}

export interface EnterprisesDeps {
  store: EnterpriseStore
  piiBlindIndexKey: Buffer
  now?: () => number
}

export type Enterprises = ReturnType<typeof createEnterprises>

export function createEnterprises(deps: EnterprisesDeps) {
  const now = deps.now ?? Date.now
  return { validateNewEnterprise, registerEnterprise, findEnterprise, findEnterpriseByUscc, listRepresentedBy, findPersonIdByIdNumber }

  /** Checks every field (no writes) and returns all problems at once. */
  async function validateNewEnterprise(input: NewEnterprise) {
    const problems = []
    const uscc = parseUscc(input.uscc ?? '')
    if (!uscc.ok) problems.push(EnterpriseError.USCC_INVALID({ problem: uscc.problem }))
    const name = (input.name ?? '').trim()
    // No control characters (a NUL would also fail PostgreSQL's text), as for a person's name.
    if (name.length < 1 || name.length > 200 || /[\u0000-\u001f]/.test(name)) problems.push(EnterpriseError.NAME_INVALID())
    const legalRepresentativeId = await findPersonIdByIdNumber(input.legalRepresentativeIdNumber ?? '')
    if (!legalRepresentativeId) problems.push(EnterpriseError.LEGAL_REPRESENTATIVE_INVALID())
    return { problems, uscc: uscc.ok ? uscc.value : '', kind: uscc.ok ? uscc.kind : undefined, name, legalRepresentativeId }
  }

  async function registerEnterprise(input: NewEnterprise): Promise<Enterprise> {
    const checked = await validateNewEnterprise(input)
    if (checked.problems.length > 0) throw checked.problems[0]
    const at = now()
    const row: EnterpriseRow = { id: newId(), uscc: checked.uscc, name: checked.name, kind: checked.kind!, legalRepresentativeId: checked.legalRepresentativeId!, createdAt: at, updatedAt: at }
    if (!(await deps.store.insertEnterprise(row))) throw EnterpriseError.ALREADY_EXISTS()
    return toEnterprise(row)
  }

  async function findEnterprise(id: string): Promise<Enterprise | undefined> {
    const row = await deps.store.findEnterprise(id)
    return row && toEnterprise(row)
  }

  async function findEnterpriseByUscc(uscc: string): Promise<Enterprise | undefined> {
    const parsed = parseUscc(uscc)
    if (!parsed.ok) return undefined
    const row = await deps.store.findEnterpriseByUscc(parsed.value)
    return row && toEnterprise(row)
  }

  async function listRepresentedBy(personId: string): Promise<Enterprise[]> {
    return (await deps.store.listEnterprisesRepresentedBy(personId)).map(toEnterprise)
  }

  /** A registered person's id by resident ID number (through the blind index), or undefined. */
  async function findPersonIdByIdNumber(idNumber: string): Promise<string | undefined> {
    const parsed = parseIdNumber(idNumber)
    if (!parsed.ok) return undefined
    return deps.store.findPersonIdByIdNumberIndex(blindIndex(deps.piiBlindIndexKey, parsed.value, 'id-number'))
  }
}

function toEnterprise(row: EnterpriseRow): Enterprise {
  return { id: row.id, uscc: row.uscc, name: row.name, kind: row.kind as EnterpriseKind, legalRepresentativeId: row.legalRepresentativeId }
}
