/*
 * Real-name assurance levels (实名认证等级). Level 1: registered, formats valid. Level 2: real
 * name verified, either online (phone proven by SMS plus a name + ID number check through the
 * identity-verification service) or at a service counter by staff. Level 3 is not a property of
 * the identity: it is level 2 plus a second factor in this sign-in (decided in src/oidc/policy.ts).
 * Levels map to acr strings only through configuration.
 */
import { defineErrors } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import type { AssuranceStore, EvidenceRow } from '../store/assurance.js'

export const AssuranceError = defineErrors('ASSURANCE', {
  PERSON_NOT_FOUND: [404, 'No such account.'],
  PHONE_NOT_PROVEN: [409, 'Prove your mobile number with an SMS code first.'],
  NOT_MATCHED: [422, 'The name and ID number could not be verified. Verify in person at a service counter.'],
  SERVICE_UNAVAILABLE: [503, 'The verification service is not available. Try again later.'],
  STAFF_REQUIRED: [400, 'Counter verification must name the staff member.'],
})

export type AssuranceLevel = 1 | 2 | 3

/** The pluggable name + ID number check (公安 identity check, through a vendor). */
export interface IdentityVerifier {
  readonly name: string
  verify(subject: { name: string; idNumber: string }): Promise<{ match: boolean; reference?: string }>
}

export interface AcrMap {
  acrForLevel(level: number): string
  /** The level an acr value stands for; 0 for an unknown or missing value. */
  levelOfAcr(acr: string | undefined): number
  acrValues(): string[]
}

export function createAcrMap(acrByLevel: Readonly<Record<'1' | '2' | '3', string>>): AcrMap {
  const byAcr = new Map(Object.entries(acrByLevel).map(([level, acr]) => [acr, Number(level)]))
  return {
    acrForLevel: (level) => acrByLevel[String(Math.min(3, Math.max(1, level))) as '1' | '2' | '3'],
    levelOfAcr: (acr) => (acr ? (byAcr.get(acr) ?? 0) : 0),
    acrValues: () => [acrByLevel['1'], acrByLevel['2'], acrByLevel['3']],
  }
}

export interface AssuranceDeps {
  store: AssuranceStore
  verifier: IdentityVerifier
  revealIdNumber: (personId: string) => Promise<string | undefined>
  now?: () => number
}

export type Assurance = ReturnType<typeof createAssurance>

export function createAssurance(deps: AssuranceDeps) {
  const now = deps.now ?? Date.now
  return { identityLevel, verifyOnline, verifyAtCounter, listEvidence }

  /** The level of the identity itself (1 or 2); 0 when the person does not exist. */
  async function identityLevel(personId: string): Promise<number> {
    const subject = await deps.store.findSubject(personId)
    return subject ? Math.min(2, subject.assuranceLevel) : 0
  }

  /** Online real-name verification: phone proven by SMS, then the name + ID number check. */
  async function verifyOnline(personId: string): Promise<void> {
    const subject = await deps.store.findSubject(personId)
    if (!subject) throw AssuranceError.PERSON_NOT_FOUND()
    if (subject.assuranceLevel >= 2) return
    if (subject.phoneVerifiedAt === null) throw AssuranceError.PHONE_NOT_PROVEN()
    const idNumber = await deps.revealIdNumber(personId)
    if (!idNumber) throw AssuranceError.PERSON_NOT_FOUND()
    let result: { match: boolean; reference?: string }
    try {
      result = await deps.verifier.verify({ name: subject.name, idNumber })
    } catch (err) {
      throw AssuranceError.SERVICE_UNAVAILABLE(undefined, err)
    }
    if (!result.match) throw AssuranceError.NOT_MATCHED()
    await record(personId, 'online_idv', `idv:${deps.verifier.name}`, result.reference ?? null)
  }

  /** Verification in person at a service counter; `staff` names who checked the document. */
  async function verifyAtCounter(personId: string, staff: string, reference?: string): Promise<void> {
    if (!staff?.trim()) throw AssuranceError.STAFF_REQUIRED()
    if (!(await deps.store.findSubject(personId))) throw AssuranceError.PERSON_NOT_FOUND()
    await record(personId, 'counter', `staff:${staff.trim().slice(0, 190)}`, reference?.slice(0, 200) ?? null)
  }

  async function listEvidence(personId: string): Promise<EvidenceRow[]> {
    return deps.store.listEvidence(personId)
  }

  async function record(personId: string, method: string, verifiedBy: string, reference: string | null): Promise<void> {
    await deps.store.recordEvidence({ id: newId(), personId, level: 2, method, verifiedBy, reference, verifiedAt: now() })
  }
}

/** Identity-verification drivers: `stub` and `log` for development and tests, `http` for a vendor. */
export function createIdentityVerifier(settings: { driver: 'stub' | 'log' | 'http'; url?: string; token?: string; timeoutMs: number }, log?: (message: string) => void): IdentityVerifier {
  if (settings.driver === 'stub') return { name: 'stub', verify: async () => ({ match: true, reference: 'stub' }) }
  if (settings.driver === 'log') {
    return {
      name: 'log',
      // The ID number is never logged: only that a check happened.
      verify: async () => {
        log?.('identity verification requested (log driver: accepted)')
        return { match: true, reference: 'log' }
      },
    }
  }
  return {
    name: 'http',
    async verify(subject) {
      const response = await fetch(settings.url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(settings.token ? { authorization: `Bearer ${settings.token}` } : {}) },
        body: JSON.stringify({ name: subject.name, idNumber: subject.idNumber }),
        signal: AbortSignal.timeout(settings.timeoutMs),
      })
      if (!response.ok) throw new Error(`identity verification answered ${response.status}`)
      const body = (await response.json()) as { match?: unknown; reference?: unknown }
      return { match: body.match === true, reference: typeof body.reference === 'string' ? body.reference.slice(0, 200) : undefined }
    },
  }
}
