/*
 * Bringing the users of an existing prefecture or county system into OneDoor (issue 4).
 * Legacy password hashes are stored as they are (no argon2 here: 10 000 accounts import in
 * seconds) and replaced with argon2id at each person's first successful sign-in. Records with
 * the ID number of an existing person merge into that person: differing name or phone is
 * reported as a conflict and never overwrites. Provenance (source system, legacy id) makes a
 * re-run skip what it already imported.
 */
import { LEGACY_HASH_FORMATS, legacyFormatOf, maskIdNumber, parseIdNumber, parsePhone, storedSaltedHash, type LegacyHashFormat } from '../accounts/index.js'
import { blindIndex, seal } from '../shared/crypto.js'
import { newId } from '../shared/ids.js'
import { FederationError } from './errors.js'
import type { AccountImportStore, FederationClientStore, ImportExistingPerson, ImportLink, ImportNewPerson } from './types.js'

/** One record as read from the file (CSV header names or JSON keys). */
export interface ImportRecord {
  line: number
  fields: Record<string, unknown>
  /** Set when the line could not be read as a record at all. */
  problem?: string
}

export interface ImportDeps {
  store: AccountImportStore
  clients: Pick<FederationClientStore, 'findRecord'>
  piiEncryptionKey: Buffer
  piiBlindIndexKey: Buffer
  now?: () => number
}

export interface ImportOptions {
  sourceClientId: string
  batchSize?: number
  onProgress?: (done: number) => void
}

export interface ImportReport {
  source: string
  read: number
  created: number
  /** Linked to a person who already existed (same ID number), conflicts included. */
  merged: number
  alreadyImported: number
  rejected: { line: number; legacyId: string; reason: string }[]
  /** Differences kept for an operator to resolve; the existing values were kept. */
  conflicts: { line: number; legacyId: string; personId: string; idNumberMasked: string; fields: string[] }[]
  byFormat: Record<string, number>
}

interface CheckedRecord {
  line: number
  legacyId: string
  name: string
  idNumber: string
  index: string
  phone: string
  passwordHash: string
  format: LegacyHashFormat
}

export async function importAccounts(deps: ImportDeps, records: AsyncIterable<ImportRecord>, options: ImportOptions): Promise<ImportReport> {
  const now = deps.now ?? Date.now
  const source = await deps.clients.findRecord(options.sourceClientId)
  if (!source) throw FederationError.SYSTEM_UNKNOWN({ source: options.sourceClientId })
  const report: ImportReport = { source: options.sourceClientId, read: 0, created: 0, merged: 0, alreadyImported: 0, rejected: [], conflicts: [], byFormat: {} }
  const batchSize = options.batchSize ?? 500
  // Legacy ids seen in this run: a file listing one user twice imports them once.
  const seenLegacy = new Set<string>()
  let batch: CheckedRecord[] = []

  for await (const record of records) {
    report.read += 1
    const checked = checkRecord(record, deps.piiBlindIndexKey)
    if ('reason' in checked) report.rejected.push(checked)
    else if (seenLegacy.has(checked.legacyId)) report.rejected.push({ line: checked.line, legacyId: checked.legacyId, reason: 'legacy_id appears twice in the file' })
    else {
      seenLegacy.add(checked.legacyId)
      batch.push(checked)
    }
    if (batch.length >= batchSize) {
      await writeBatch(batch)
      batch = []
    }
    if (report.read % 100 === 0) options.onProgress?.(report.read)
  }
  if (batch.length > 0) await writeBatch(batch)
  options.onProgress?.(report.read)
  return report

  async function writeBatch(records: CheckedRecord[]): Promise<void> {
    const imported = await deps.store.findImported(options.sourceClientId, records.map((r) => r.legacyId))
    const fresh = records.filter((r) => {
      if (!imported.has(r.legacyId)) return true
      report.alreadyImported += 1
      return false
    })
    const byIndex = new Map<string, ImportExistingPerson>((await deps.store.findPersonsByIndex([...new Set(fresh.map((r) => r.index))])).map((p) => [p.idNumberIndex, p]))
    const phoneOwners = await deps.store.findPhoneOwners([...new Set(fresh.map((r) => r.phone))])
    const persons: ImportNewPerson[] = []
    const links: ImportLink[] = []
    const at = now()

    for (const r of fresh) {
      const existing = byIndex.get(r.index)
      if (existing) {
        const fields = [...(existing.name !== r.name ? ['name'] : []), ...(existing.phone !== r.phone ? ['phone'] : [])]
        if (fields.length > 0) report.conflicts.push({ line: r.line, legacyId: r.legacyId, personId: existing.id, idNumberMasked: maskIdNumber(r.idNumber), fields })
        links.push(link(r, existing.id, at))
        report.merged += 1
        continue
      }
      const phoneOwner = phoneOwners.get(r.phone)
      if (phoneOwner) {
        // Another person (another ID number) holds this phone: importing would take it from them.
        report.conflicts.push({ line: r.line, legacyId: r.legacyId, personId: phoneOwner, idNumberMasked: maskIdNumber(r.idNumber), fields: ['phone_in_use'] })
        report.rejected.push({ line: r.line, legacyId: r.legacyId, reason: 'phone number belongs to another person' })
        continue
      }
      const id = newId()
      const person: ImportNewPerson = {
        id,
        name: r.name,
        idNumberSealed: seal(deps.piiEncryptionKey, r.idNumber, `id-number:${id}`),
        idNumberIndex: r.index,
        idNumberMasked: maskIdNumber(r.idNumber),
        phone: r.phone,
        passwordHash: r.passwordHash,
        createdAt: at,
      }
      persons.push(person)
      links.push(link(r, id, at))
      byIndex.set(r.index, { id, name: r.name, phone: r.phone, idNumberIndex: r.index })
      phoneOwners.set(r.phone, id)
      report.created += 1
      report.byFormat[r.format] = (report.byFormat[r.format] ?? 0) + 1
    }
    await deps.store.writeBatch(persons, links)
  }

  function link(r: CheckedRecord, personId: string, at: number): ImportLink {
    return { sourceClientId: options.sourceClientId, legacyUserId: r.legacyId, personId, hashFormat: r.format, importedAt: at }
  }
}

/** Validates one record; the reason never contains the ID number, phone or hash. */
function checkRecord(record: ImportRecord, indexKey: Buffer): CheckedRecord | { line: number; legacyId: string; reason: string } {
  const text = (key: string) => {
    const value = record.fields[key]
    return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : ''
  }
  const legacyId = text('legacy_id')
  const reject = (reason: string) => ({ line: record.line, legacyId, reason })
  if (record.problem) return reject(record.problem)
  if (!legacyId || legacyId.length > 128) return reject('legacy_id is required (at most 128 characters)')
  const name = text('name')
  if (name.length < 1 || name.length > 100) return reject('name is required (at most 100 characters)')
  const idNumber = parseIdNumber(text('id_number'))
  if (!idNumber.ok) return reject(`id_number is not valid (${idNumber.problem})`)
  const phone = parsePhone(text('phone'))
  if (!phone.ok) return reject('phone is not a mainland mobile number')
  const format = text('hash_format') as LegacyHashFormat
  if (!LEGACY_HASH_FORMATS.includes(format)) return reject(`hash_format must be one of ${LEGACY_HASH_FORMATS.join(', ')}`)
  const passwordHash = storedHash(format, text('password_hash'), text('salt'), text('salt_position') || 'suffix')
  if (!passwordHash) return reject(`password_hash is not a ${format} hash in an accepted form`)
  return {
    line: record.line,
    legacyId,
    name,
    idNumber: idNumber.value,
    index: blindIndex(indexKey, idNumber.value, 'id-number'),
    phone: phone.value,
    passwordHash,
    format,
  }
}

function storedHash(format: LegacyHashFormat, hash: string, salt: string, position: string): string | undefined {
  if (format === 'sha256-salted' || format === 'md5-salted') {
    if (legacyFormatOf(hash) === format) return hash
    if (position !== 'suffix' && position !== 'prefix') return undefined
    return storedSaltedHash(format, hash, salt, position)
  }
  return legacyFormatOf(hash) === format ? hash : undefined
}
