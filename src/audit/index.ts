/*
 * The audit trail: record() appends a masked, hash-chained record, inside the caller's
 * transaction when there is one (the change and its record commit or roll back together).
 * verify() walks the chain; exportCsv() streams a reader's scope; archive() writes old records
 * to a file and purges them only after the file is safely on disk, keeping the retention floor.
 */
import { createHash } from 'node:crypto'
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs'
import type { Knex } from 'knex'
import { defineErrors } from '../shared/errors.js'
import { newTimeOrderedId } from '../shared/ids.js'
import type { AuditQuery, AuditStore } from '../store/audit.js'
import { csvHeader, csvLine } from './csv.js'
import { isAuditEventType, type AuditEvent, type AuditRecord } from './events.js'
import { recordHash } from './hash.js'
import { maskDetails, maskText } from './mask.js'
import { verifyChain } from './verify.js'

export * from './events.js'
export { maskText, maskDetails } from './mask.js'
export type { VerifyResult } from './verify.js'

export const AuditError = defineErrors('AUDIT', {
  UNKNOWN_EVENT: [500, 'This audit event type is not in the catalogue.'],
  RETENTION: [400, 'Audit records younger than the retention period cannot be archived or purged.'],
  CHAIN_BROKEN: [409, 'The audit chain does not verify; archive refused until it is investigated.'],
  FILE_EXISTS: [400, 'The archive file already exists; choose a new file.'],
  NOTHING_TO_ARCHIVE: [400, 'No audit records are older than that date.'],
})

export interface AuditDeps {
  store: AuditStore
  /** Minimum age in days before records may leave the database (网络安全法: at least 180). */
  retentionDays: number
  now?: () => number
}

export type Audit = ReturnType<typeof createAudit>

const DAY_MS = 86_400_000

export function createAudit(deps: AuditDeps) {
  const now = deps.now ?? Date.now
  const retentionDays = Math.max(deps.retentionDays, 180)
  return { record, verify, query, countByType: deps.store.countByType, exportCsv, archive, retentionDays }

  /**
   * Appends `event`; pass the transaction of the change it describes. Not an async function:
   * every token grant records one, and the store's promise is handed back as it is instead of
   * wrapped in another (failures still arrive as a rejection, never as a throw).
   */
  function record(event: AuditEvent, trx?: Knex.Transaction): Promise<AuditRecord> {
    if (!isAuditEventType(event.type)) return Promise.reject(AuditError.UNKNOWN_EVENT({ type: event.type }))
    const text = (v: string | null | undefined, max: number) => (v ? maskText(String(v)).slice(0, max) : null)
    return deps.store.append((prevHash) => {
      const at = event.at ?? now()
      const fields = {
        id: newTimeOrderedId(at),
        at,
        type: event.type,
        actorType: event.actor.type,
        actorId: text(event.actor.id, 64),
        clientId: text(event.actor.clientId, 64),
        ip: text(event.actor.ip, 64),
        userAgent: text(event.actor.userAgent, 300),
        divisionCode: event.divisionCode ?? null,
        targetType: event.target?.type ?? null,
        targetId: text(event.target?.id, 128),
        result: event.result ?? 'success',
        errorCode: event.errorCode ?? null,
        details: JSON.stringify(maskDetails(event.details ?? {})),
        prevHash,
        hash: '',
      }
      // Filled in place (recordHash reads the fields it names, never `hash`): this object is
      // the record all the way to its row, with no copy per step.
      fields.hash = recordHash(fields)
      return fields
    }, trx)
  }

  function verify() {
    return verifyChain(deps.store)
  }

  function query(q: AuditQuery) {
    return deps.store.query(q)
  }

  /** Writes the CSV of every record in scope to `write`, page by page. Returns the count. */
  async function exportCsv(q: Omit<AuditQuery, 'afterSeq' | 'limit'>, write: (chunk: string) => void | Promise<void>): Promise<number> {
    await write(csvHeader())
    let afterSeq = 0
    let count = 0
    for (;;) {
      const page = await deps.store.query({ ...q, afterSeq, limit: 1000 })
      for (const r of page) await write(csvLine(r))
      count += page.length
      if (page.length < 1000) return count
      afterSeq = page[page.length - 1].seq
    }
  }

  /**
   * Moves every record older than `before` to `outFile` (JSON lines, first line a header with
   * the chain anchor), fsyncs it, then purges those records and stores the new anchor. Runs
   * started at once (a cron job on every node) take turns: the later one finds nothing left.
   */
  function archive(before: Date, outFile: string): Promise<{ count: number; throughSeq: number; fileSha256: string }> {
    return deps.store.exclusive(() => archiveNow(before, outFile))
  }

  async function archiveNow(before: Date, outFile: string): Promise<{ count: number; throughSeq: number; fileSha256: string }> {
    if (before.getTime() > now() - retentionDays * DAY_MS) throw AuditError.RETENTION({ retentionDays })
    const verified = await verify()
    if (!verified.ok) throw AuditError.CHAIN_BROKEN({ seq: verified.problem?.seq })
    const throughSeq = await deps.store.lastSeqBefore(before.getTime())
    if (throughSeq === undefined) throw AuditError.NOTHING_TO_ARCHIVE()
    const anchor = await deps.store.anchor()
    const tmp = `${outFile}.partial`
    let fd: number
    try {
      fd = openSync(outFile, 'wx')
      closeSync(fd)
      fd = openSync(tmp, 'w')
    } catch {
      throw AuditError.FILE_EXISTS()
    }
    const digest = createHash('sha256')
    const put = (line: string) => {
      digest.update(line)
      writeSync(fd, line)
    }
    let count = 0
    let lastHash = anchor.hash
    try {
      put(`${JSON.stringify({ format: 'onedoor-audit-archive/1', anchorSeq: anchor.seq, anchorHash: anchor.hash, throughSeq, before: before.toISOString() })}\n`)
      let afterSeq = anchor.seq
      while (afterSeq < throughSeq) {
        const page = (await deps.store.readFrom(afterSeq, 1000)).filter((r) => r.seq <= throughSeq)
        if (page.length === 0) break
        for (const r of page) put(`${JSON.stringify(r)}\n`)
        count += page.length
        lastHash = page[page.length - 1].hash
        afterSeq = page[page.length - 1].seq
      }
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, outFile)
    const fileSha256 = digest.digest('hex')
    await deps.store.purgeThrough({ throughSeq, lastHash, beforeAt: before.getTime(), count, fileSha256, file: outFile })
    await record({ type: 'audit.trail.archived', actor: { type: 'system' }, details: { count, throughSeq, before: before.toISOString(), fileSha256 } })
    return { count, throughSeq, fileSha256 }
  }
}
