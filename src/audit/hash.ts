/*
 * The chain: hash(n) = SHA-256(canonical fields of record n, hash(n-1)). The storage position
 * (seq) is deliberately outside the hash: renumbering rows to make room for a forged one then
 * shows as a broken link, which is what `audit verify` reports as an insertion.
 */
import { hash } from 'node:crypto'
import type { AuditRecord } from './events.js'

export const GENESIS_HASH = '0'.repeat(64)

export type HashedFields = Omit<AuditRecord, 'seq' | 'hash'>

export function recordHash(record: HashedFields): string {
  const canonical = JSON.stringify([
    record.id,
    record.at,
    record.type,
    record.actorType,
    record.actorId,
    record.clientId,
    record.ip,
    record.userAgent,
    record.divisionCode,
    record.targetType,
    record.targetId,
    record.result,
    record.errorCode,
    record.details,
    record.prevHash,
  ])
  return hash('sha256', canonical, 'hex')
}
