/*
 * Walks the chain from its anchor and names the first record that breaks it. A row whose own
 * hash no longer matches was altered; a link that skips a row means a forged row was inserted;
 * a link to a hash no stored row has means rows were deleted. The chain head (updated with every
 * append) catches rows deleted from, or appended to, the end.
 */
import type { AuditRecord } from './events.js'
import { recordHash } from './hash.js'
import type { AuditStore } from '../store/audit.js'

export type VerifyProblem = 'altered' | 'inserted' | 'deleted'

export interface VerifyResult {
  ok: boolean
  checked: number
  /** The first broken record: its seq, and what happened to it. */
  problem?: { seq: number; kind: VerifyProblem; message: string }
  head?: { seq: number; hash: string }
}

export async function verifyChain(store: AuditStore, options: { batch?: number } = {}): Promise<VerifyResult> {
  const batch = options.batch ?? 1000
  // The head is read before the records: every record up to it is committed by then (the head
  // moves in the same transaction as the records it covers). Records appended while we walk show
  // up past it and are caught up with below.
  let head = await store.head()
  const start = await store.anchor()
  let expectedPrev = start.hash
  let beforePrev: string | null = null
  let lastSeq = start.seq
  let checked = 0
  let buffer: AuditRecord[] = await store.readFrom(start.seq, batch)
  let exhausted = buffer.length < batch

  let caughtUp = false
  for (;;) {
    while (buffer.length > 0) {
      if (buffer.length < 2 && !exhausted) {
        const more = await store.readFrom(buffer[buffer.length - 1].seq, batch)
        exhausted = more.length < batch
        buffer = buffer.concat(more)
        continue
      }
      const [row, next] = buffer
      const previous = lastSeq
      if (row.prevHash !== expectedPrev) {
        if (next && next.prevHash === expectedPrev) return broken(row.seq, 'inserted', `record ${row.seq} does not link to its predecessor, and its successor skips it: it was inserted`)
        if (beforePrev !== null && row.prevHash === beforePrev) return broken(previous, 'inserted', `record ${row.seq} links past record ${previous}: record ${previous} was inserted`)
        return broken(row.seq, 'deleted', `record ${row.seq} links to a record that is no longer stored: record(s) before it were deleted (or its predecessor rewritten)`)
      }
      if (recordHash(row) !== row.hash) return broken(row.seq, 'altered', `record ${row.seq} does not match its hash: it was altered`)
      beforePrev = expectedPrev
      expectedPrev = row.hash
      lastSeq = row.seq
      checked += 1
      buffer = buffer.slice(1)
    }
    // Records past the head we read: on a live system other nodes were appending meanwhile. Read
    // the head again. If it did not move, the extra records are forged. If it moved, every record
    // up to the new head is committed: walk on to exactly there (newer ones are left for the next
    // run) and judge the chain against that head.
    const pastHead = head ? lastSeq > head.seq : checked > 0
    if (!pastHead || caughtUp) break
    caughtUp = true
    const fresh = await store.head()
    if (!fresh || fresh.seq === head?.seq) break
    head = fresh
    buffer = await readThrough(lastSeq, fresh.seq)
    exhausted = true
  }

  if (!head) {
    if (checked > 0) return broken(start.seq + 1, 'inserted', 'records exist but the chain head is missing: they were inserted')
    return { ok: true, checked }
  }
  if (head.seq > lastSeq || (head.seq === lastSeq && head.hash !== expectedPrev && checked === 0)) {
    return broken(lastSeq + 1, 'deleted', `the chain head is record ${head.seq} but the last stored record is ${lastSeq}: the newest records were deleted`)
  }
  if (head.seq < lastSeq || head.hash !== expectedPrev) {
    return broken(head.seq + 1, 'inserted', `records after the chain head (record ${head.seq}) were inserted`)
  }
  return { ok: true, checked, head }

  /** Records after `afterSeq` up to and including `lastSeq`. */
  async function readThrough(afterSeq: number, lastSeqWanted: number): Promise<AuditRecord[]> {
    const rows: AuditRecord[] = []
    for (let from = afterSeq; ; ) {
      const page = await store.readFrom(from, batch)
      rows.push(...page.filter((r) => r.seq <= lastSeqWanted))
      if (page.length < batch || page[page.length - 1].seq >= lastSeqWanted) return rows
      from = page[page.length - 1].seq
    }
  }

  function broken(seq: number, kind: VerifyProblem, message: string): VerifyResult {
    return { ok: false, checked, problem: { seq, kind, message }, head }
  }
}
