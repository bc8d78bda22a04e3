/* Second-factor rows: sealed TOTP secrets, used time steps (the replay guard), hashed recovery codes, attempt counters. */
import type { Knex } from 'knex'
import type { Transaction } from '../shared/transaction.js'
import type { Db } from './db.js'
import { isUniqueViolation } from './errors.js'

export interface TotpCredentialRow {
  personId: string
  secretSealed: string
  confirmedAt: number
}

export type MfaStore = ReturnType<typeof createMfaStore>

export function createMfaStore(db: Db) {
  return { findTotp, saveTotp, replaceRecoveryCodes, removeTotp, markUsedStep, consumeRecoveryCode, countUnusedRecoveryCodes, recordFailure, forgiveFailure, countFailures, deleteExpiredAttempts }

  async function findTotp(personId: string): Promise<TotpCredentialRow | undefined> {
    const row = await db('totp_credentials').where({ person_id: personId }).first()
    return row ? { personId: row.person_id, secretSealed: row.secret_sealed, confirmedAt: Number(row.confirmed_at) } : undefined
  }

  /** Stores a confirmed authenticator and its recovery codes in one transaction; replaces any earlier one. */
  async function saveTotp(row: TotpCredentialRow, recoveryCodeHashes: string[], firstStep: number): Promise<void> {
    await db.transaction(async (trx) => {
      await trx('totp_credentials').where({ person_id: row.personId }).delete()
      await trx('recovery_codes').where({ person_id: row.personId }).delete()
      await trx('totp_credentials').insert({ person_id: row.personId, secret_sealed: row.secretSealed, confirmed_at: row.confirmedAt })
      await trx('recovery_codes').insert(recoveryCodeHashes.map((hash) => ({ person_id: row.personId, code_hash: hash, created_at: row.confirmedAt })))
      // The confirming code's step counts as used: it cannot be replayed for a sign-in.
      await trx('totp_used_steps').insert({ person_id: row.personId, step: firstStep, used_at: row.confirmedAt }).onConflict(['person_id', 'step']).ignore()
    })
  }

  /** A fresh set of recovery codes; the old ones stop working (one transaction). */
  async function replaceRecoveryCodes(personId: string, hashes: string[], at: number): Promise<void> {
    await db.transaction(async (trx) => {
      // Two regenerations at once would each delete only the codes committed before it, and both
      // new sets would work: the authenticator's row, locked, makes the second wait for the first.
      if (db.client.config.client === 'pg') await trx('totp_credentials').where({ person_id: personId }).forUpdate().first()
      await trx('recovery_codes').where({ person_id: personId }).delete()
      await trx('recovery_codes').insert(hashes.map((hash) => ({ person_id: personId, code_hash: hash, created_at: at })))
    })
  }

  /**
   * Removes the authenticator, its recovery codes and used steps (account closure, replacing it,
   * an administrator's reset) in one transaction, or inside the caller's `tx`. Returns whether
   * an authenticator was enrolled.
   */
  async function removeTotp(personId: string, tx?: Transaction): Promise<boolean> {
    const work = async (trx: Knex.Transaction) => {
      const removed = await trx('totp_credentials').where({ person_id: personId }).delete()
      await trx('recovery_codes').where({ person_id: personId }).delete()
      await trx('totp_used_steps').where({ person_id: personId }).delete()
      return removed > 0
    }
    return tx ? work(tx as Knex.Transaction) : db.transaction(work)
  }

  /** Inserts (person, step); false when that step was already used (the primary key decides, atomically). */
  async function markUsedStep(personId: string, step: number, at: number): Promise<boolean> {
    try {
      await db('totp_used_steps').insert({ person_id: personId, step, used_at: at })
    } catch (err) {
      if (isUniqueViolation(err)) return false
      throw err
    }
    // Steps older than a day can never match again; keep the table small.
    await db('totp_used_steps').where({ person_id: personId }).andWhere('step', '<', step - 2880).delete()
    return true
  }

  /** Marks an unused recovery code used; false when it does not exist or was used (one UPDATE decides). */
  async function consumeRecoveryCode(personId: string, codeHash: string, at: number): Promise<boolean> {
    const updated = await db('recovery_codes').where({ person_id: personId, code_hash: codeHash }).whereNull('used_at').update({ used_at: at })
    return updated === 1
  }

  async function countUnusedRecoveryCodes(personId: string): Promise<number> {
    const row = await db('recovery_codes').where({ person_id: personId }).whereNull('used_at').count({ n: '*' }).first()
    return Number(row?.n ?? 0)
  }

  /** Adds one failure under `key` (a counter that lives until expiresAt) and returns the new count. */
  async function recordFailure(key: string, at: number, ttlMs: number): Promise<number> {
    return db.transaction(async (trx) => {
      await trx('mfa_attempts').where({ attempt_key: key }).andWhere('expires_at', '<=', at).delete()
      await trx('mfa_attempts').insert({ attempt_key: key, failures: 0, expires_at: at + ttlMs }).onConflict('attempt_key').ignore()
      await trx('mfa_attempts').where({ attempt_key: key }).increment('failures', 1)
      const row = await trx('mfa_attempts').where({ attempt_key: key }).first()
      return Number(row.failures)
    })
  }

  /** Takes back one failure under `key`; one UPDATE, never below zero. */
  async function forgiveFailure(key: string): Promise<void> {
    await db('mfa_attempts').where({ attempt_key: key }).andWhere('failures', '>', 0).decrement('failures', 1)
  }

  /** Attempt counters past their window (the periodic cleanup). */
  async function deleteExpiredAttempts(at: number): Promise<number> {
    return db('mfa_attempts').where('expires_at', '<=', at).delete()
  }

  async function countFailures(key: string, at: number): Promise<number> {
    const row = await db('mfa_attempts').where({ attempt_key: key }).andWhere('expires_at', '>', at).first()
    return row ? Number(row.failures) : 0
  }
}
