/*
 * `onedoor seed`: synthetic natural and legal persons in bulk, for trials and for the
 * accounts-size benchmark. Every row is what registration would have written: the ID number
 * sealed (AES-256-GCM, bound to the account id) and blind-indexed with the configured keys,
 * masked, a unique phone, an argon2id password hash; enterprises carry a valid credit code and a
 * seeded legal representative. Hashing 10^6 passwords one by one would take hours, so the run
 * hashes its one password once and every account of the run shares that hash (synthetic
 * accounts only: a shared hash tells anyone who can read the table that they share a password).
 */
import { checkPassword, PASSWORD_POLICIES, parseUscc, type PasswordHasher } from '../accounts/index.js'
import { maskDocument } from '../accounts/documents.js'
import type { Divisions } from '../federation/index.js'
import { blindIndex, seal } from '../shared/crypto.js'
import { newId } from '../shared/ids.js'
import type { SeedEnterpriseRow, SeedPersonRow, SeedStore } from '../store/seed.js'
import { divisionPicker, type DivisionPicker } from './population.js'
import { MAX_SEEDED_ENTERPRISES, MAX_SEEDED_PERSONS, seededEnterprise, seededPerson } from './synthetic.js'

export interface SeedDeps {
  store: SeedStore
  divisions: Divisions
  passwords: PasswordHasher
  piiEncryptionKey: Buffer
  piiBlindIndexKey: Buffer
  now?: () => number
}

export interface SeedPlan {
  persons: number
  enterprises: number
  /** Decides divisions, names and enterprise types; same seed on an empty database, same accounts. */
  seed: number
  password: string
  /** Persons per transaction (enterprises follow in proportion). */
  batchSize: number
}

export interface SeedProgress {
  persons: number
  enterprises: number
  skipped: number
}

export interface SeedReport {
  runId: string
  seed: number
  /** Number of the first person of this run among every seeded person of the database. */
  firstPerson: number
  persons: { requested: number; created: number }
  enterprises: { requested: number; created: number }
  /** Rows left out because an existing account already held the ID number, phone or credit code. */
  skipped: number
  seconds: number
  /** Persons created per prefecture code (first four digits of the area code, 2301 = Harbin). */
  byPrefecture: Record<string, number>
}

export const SEED_LIMITS = { maxPersons: MAX_SEEDED_PERSONS, maxEnterprises: MAX_SEEDED_ENTERPRISES, minBatch: 100, maxBatch: 50_000 } as const

/** Problems with a plan, all at once, before anything is opened or written. */
export function checkSeedPlan(plan: SeedPlan): string[] {
  const problems: string[] = []
  const count = (name: string, value: number, max: number) => {
    if (!Number.isSafeInteger(value) || value < 0 || value > max) problems.push(`${name} must be a whole number from 0 to ${max}`)
  }
  count('--persons', plan.persons, SEED_LIMITS.maxPersons)
  count('--enterprises', plan.enterprises, SEED_LIMITS.maxEnterprises)
  if (problems.length === 0 && plan.persons + plan.enterprises === 0) problems.push('nothing to seed: give --persons N (and --enterprises M)')
  if (problems.length === 0 && plan.enterprises > 0 && plan.persons === 0) problems.push('--enterprises needs --persons: every legal person gets a seeded legal representative')
  if (!Number.isSafeInteger(plan.seed) || plan.seed < 0 || plan.seed > 0xffffffff) problems.push('--seed must be a whole number from 0 to 4294967295')
  if (!Number.isSafeInteger(plan.batchSize) || plan.batchSize < SEED_LIMITS.minBatch || plan.batchSize > SEED_LIMITS.maxBatch) problems.push(`--batch-size must be a whole number from ${SEED_LIMITS.minBatch} to ${SEED_LIMITS.maxBatch}`)
  // The resident policy without the per-person context words (name, phone, ID number differ per account).
  problems.push(...checkPassword(PASSWORD_POLICIES.person, plan.password).map((p) => `password: ${p.code}: ${p.message}`))
  return problems
}

/**
 * Writes the plan batch by batch; each batch (persons, their enterprises, the run's counters) is
 * one transaction, so an interruption leaves whole batches only and the seed_runs row counting
 * them. A rerun reserves fresh numbers and never collides with an earlier run.
 */
export async function seedAccounts(deps: SeedDeps, plan: SeedPlan, onProgress: (done: SeedProgress) => void = () => {}): Promise<SeedReport> {
  const now = deps.now ?? Date.now
  const problems = checkSeedPlan(plan)
  if (problems.length > 0) throw new SeedError(problems.join('; '))
  const divisions = divisionPicker(await deps.divisions.tree())
  const reserved = await deps.store.nextNumbers()
  if (reserved.person + plan.persons > MAX_SEEDED_PERSONS) throw new SeedError(`this database has room for ${MAX_SEEDED_PERSONS - reserved.person} more seeded persons (distinct synthetic ID numbers)`)
  if (reserved.enterprise + plan.enterprises > MAX_SEEDED_ENTERPRISES) throw new SeedError(`this database has room for ${MAX_SEEDED_ENTERPRISES - reserved.enterprise} more seeded enterprises`)
  const passwordHash = await deps.passwords.hash(plan.password)
  const passwordPolicy = checkPassword(PASSWORD_POLICIES.admin, plan.password).length === 0 ? 'admin' : 'person'
  const started = performance.now()
  const run = await deps.store.reserveRun({ id: newId(), seed: plan.seed, persons: plan.persons, enterprises: plan.enterprises, startedAt: now() })
  const done: SeedProgress = { persons: 0, enterprises: 0, skipped: 0 }
  const byPrefecture: Record<string, number> = {}
  const batch = async (from: number) => {
    const to = Math.min(plan.persons, from + plan.batchSize)
    // Enterprises follow the persons in proportion, so each batch's representatives are its own persons.
    const enterprisesFrom = Math.floor((from * plan.enterprises) / plan.persons)
    const enterprisesTo = Math.floor((to * plan.enterprises) / plan.persons)
    return { people: await buildPersons(deps, divisions, plan.seed, run.firstPerson + from, to - from), enterprisesFrom, enterprisesTo }
  }
  let upcoming = await batch(0)
  for (let from = 0; from < plan.persons; from += plan.batchSize) {
    const { people, enterprisesFrom, enterprisesTo } = upcoming
    let inserted = new Set<string>()
    const writing = deps.store.writeBatch({
      runId: run.id,
      persons: people,
      enterprisesFor: (ids) => {
        inserted = new Set(ids)
        return buildEnterprises(divisions, plan.seed, run.firstEnterprise + enterprisesFrom, enterprisesTo - enterprisesFrom, ids)
      },
      passwordHash,
      passwordPolicy,
      at: now(),
    })
    // The next batch is sealed and hashed while the database writes this one (a failure is
    // handled at the await below, not reported as unhandled while the next batch is built).
    writing.catch(() => {})
    if (from + plan.batchSize < plan.persons) upcoming = await batch(from + plan.batchSize)
    const written = await writing
    for (const row of people) if (inserted.has(row.id)) byPrefecture[row.prefecture] = (byPrefecture[row.prefecture] ?? 0) + 1
    done.persons += written.persons
    done.enterprises += written.enterprises
    done.skipped += written.skipped
    onProgress({ ...done })
  }
  await deps.store.finishRun(run.id, now())
  return {
    runId: run.id,
    seed: plan.seed,
    firstPerson: run.firstPerson,
    persons: { requested: plan.persons, created: done.persons },
    enterprises: { requested: plan.enterprises, created: done.enterprises },
    skipped: done.skipped,
    seconds: (performance.now() - started) / 1000,
    byPrefecture,
  }
}

/** Rows for persons first … first+count-1, sealed and indexed exactly as registerPerson does. */
async function buildPersons(deps: SeedDeps, divisions: DivisionPicker, seed: number, first: number, count: number): Promise<(SeedPersonRow & { prefecture: string })[]> {
  const rows: (SeedPersonRow & { prefecture: string })[] = []
  for (let n = first; n < first + count; n += 1) {
    // Yield now and then, so the database driver can send and receive the batch being written.
    if ((n - first) % 500 === 499) await new Promise<void>((resolve) => setImmediate(resolve))
    const person = seededPerson(seed, n, divisions)
    const id = newId()
    rows.push({
      id,
      name: person.name,
      idNumberSealed: seal(deps.piiEncryptionKey, person.idNumber, `id-number:${id}`),
      idNumberIndex: blindIndex(deps.piiBlindIndexKey, person.idNumber, 'id-number'),
      idNumberMasked: maskDocument(person.idNumber),
      phone: person.phone,
      prefecture: person.division.prefectureCode.slice(0, 4),
    })
  }
  return rows
}

function buildEnterprises(divisions: DivisionPicker, seed: number, first: number, count: number, representatives: string[]): SeedEnterpriseRow[] {
  if (representatives.length === 0) return []
  const rows: SeedEnterpriseRow[] = []
  for (let n = first; n < first + count; n += 1) {
    const enterprise = seededEnterprise(seed, n, divisions)
    const parsed = parseUscc(enterprise.uscc)
    if (!parsed.ok) throw new Error(`seeded credit code ${enterprise.uscc} is invalid (${parsed.problem})`)
    rows.push({ id: newId(), uscc: parsed.value, name: enterprise.name, kind: parsed.kind, legalRepresentativeId: representatives[Math.floor(enterprise.representativeDraw * representatives.length)] })
  }
  return rows
}

/** A seed plan or database state that makes the run impossible; nothing has been written. */
export class SeedError extends Error {}
