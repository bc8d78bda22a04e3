/*
 * Rows the administration reads and writes: administrators and their console sessions, a
 * person's home division and counter verifications, and the administrative edits of clients
 * and persons. Every function takes an optional transaction so the caller can commit the change
 * together with its audit record.
 */
import type { Knex } from 'knex'
import type { Db } from './db.js'
import { insertedUnlessDuplicate, isUniqueViolation } from './errors.js'
import { endSessionRows } from './oidc-adapter.js'

export interface AdminRow {
  id: string
  personId: string
  role: string
  divisionCode: string
  createdBy: string | null
  createdAt: number
  disabledAt: number | null
  failedSignIns: number
  lockedUntil: number | null
  passwordChangedAt: number | null
}

export interface PersonSummaryRow {
  id: string
  name: string
  idNumberMasked: string
  idNumberSealed: string
  phone: string
  assuranceLevel: number
  createdAt: number
  disabledAt: number | null
  divisionCode: string | null
}

export interface ClientAdminRow {
  clientId: string
  name: string
  metadata: Record<string, unknown>
  divisionCode: string | null
  status: 'onboarding' | 'active' | 'suspended'
  createdAt: number
  updatedAt: number
}

export type AdminStore = ReturnType<typeof createAdminStore>

export function createAdminStore(db: Db) {
  return {
    db,
    insertAdmin,
    grantsOf,
    listAdmins,
    noteFailedSignIn,
    clearFailures,
    startSession,
    touchSession,
    endSession,
    endConsoleSessions,
    cutTokens,
    tokensNotBefore,
    findPersonSummary,
    searchPersons,
    setPersonDisabled,
    setPersonDivision,
    insertVerification,
    findClient,
    insertClient,
    upsertConsoleClient,
    listClients,
    updateClient,
    findClientForUpdate,
    setClientStatus,
    setClientSecret,
    endPersonSessions,
    findEnterprise,
    listMandates,
    listEnterpriseVerifications,
    insertEnterpriseVerification,
    setLegalRepresentative,
    revokeMandate,
    logoutDeliverySummary,
  }

  /** false when the same person already holds that role at that division. */
  async function insertAdmin(row: AdminRow, trx: Knex = db): Promise<boolean> {
    return insertedUnlessDuplicate(
      trx('admins').insert({
        id: row.id,
        person_id: row.personId,
        role: row.role,
        division_code: row.divisionCode,
        created_by: row.createdBy,
        created_at: row.createdAt,
        disabled_at: row.disabledAt,
        failed_sign_ins: row.failedSignIns,
        locked_until: row.lockedUntil,
        password_changed_at: row.passwordChangedAt,
      }),
    )
  }

  async function grantsOf(personId: string): Promise<AdminRow[]> {
    const rows = await db('admins').where({ person_id: personId }).whereNull('disabled_at')
    return rows.map(toAdmin)
  }

  async function listAdmins(): Promise<AdminRow[]> {
    return (await db('admins').orderBy('created_at', 'asc')).map(toAdmin)
  }

  /** Counts a failed admin sign-in (inside `trx`, with its record); locks every grant of the person once `max` is reached. */
  async function noteFailedSignIn(personId: string, max: number, lockMs: number, now: number, trx: Knex.Transaction): Promise<{ locked: boolean }> {
    await trx('admins').where({ person_id: personId }).increment('failed_sign_ins', 1)
    const row = await trx('admins').where({ person_id: personId }).max({ n: 'failed_sign_ins' }).first()
    const locked = Number(row?.n ?? 0) >= max
    if (locked) await trx('admins').where({ person_id: personId }).update({ locked_until: now + lockMs, failed_sign_ins: 0 })
    return { locked }
  }

  async function clearFailures(personId: string, trx: Knex = db): Promise<void> {
    await trx('admins').where({ person_id: personId }).update({ failed_sign_ins: 0, locked_until: null })
  }

  async function startSession(session: { id: string; personId: string; acr: string | null; now: number }, trx: Knex = db): Promise<void> {
    await trx('admin_sessions').insert({ id: session.id, person_id: session.personId, acr: session.acr, created_at: session.now, last_seen_at: session.now })
  }

  /** The session if still open and seen within `idleMs`; refreshes its last-seen time. */
  async function touchSession(id: string, idleMs: number, now: number): Promise<{ personId: string; acr: string | null } | undefined> {
    const row = await db('admin_sessions').where({ id }).whereNull('ended_at').first()
    if (!row) return undefined
    if (Number(row.last_seen_at) + idleMs < now) {
      await db('admin_sessions').where({ id }).update({ ended_at: now })
      return undefined
    }
    await db('admin_sessions').where({ id }).update({ last_seen_at: now })
    return { personId: row.person_id, acr: row.acr }
  }

  async function endSession(id: string, now: number, trx: Knex = db): Promise<void> {
    await trx('admin_sessions').where({ id }).update({ ended_at: now })
  }

  /** Ends every open console session of the person (their sessions were ended, or the account disabled). */
  async function endConsoleSessions(personId: string, now: number, trx: Knex = db): Promise<number> {
    return trx('admin_sessions').where({ person_id: personId }).whereNull('ended_at').update({ ended_at: now })
  }

  /** Admin-API tokens of the person issued up to `at` stop working (table admin_token_cutoffs). */
  async function cutTokens(personId: string, at: number, trx: Knex = db): Promise<void> {
    await trx('admin_token_cutoffs').insert({ person_id: personId, not_before: at }).onConflict('person_id').merge({ not_before: at })
  }

  async function tokensNotBefore(personId: string): Promise<number | null> {
    const row = await db('admin_token_cutoffs').where({ person_id: personId }).first()
    return row ? Number(row.not_before) : null
  }

  async function findPersonSummary(id: string, trx: Knex = db): Promise<PersonSummaryRow | undefined> {
    const row = await personQuery(trx).where('p.id', id).first()
    return row ? toPerson(row) : undefined
  }

  async function searchPersons(q: { idNumberIndex?: string; phone?: string; name?: string; limit: number }): Promise<PersonSummaryRow[]> {
    const query = personQuery(db).limit(q.limit).orderBy('p.created_at', 'asc')
    if (q.idNumberIndex) query.where('p.id_number_index', q.idNumberIndex)
    else if (q.phone) query.where('p.phone', q.phone)
    else if (q.name) query.where('p.name', q.name)
    else return []
    return (await query).map(toPerson)
  }

  async function setPersonDisabled(id: string, disabledAt: number | null, trx: Knex = db): Promise<void> {
    await trx('persons').where({ id }).update({ disabled_at: disabledAt, updated_at: Date.now() })
  }

  async function setPersonDivision(personId: string, divisionCode: string, setBy: string, trx: Knex = db): Promise<void> {
    const at = Date.now()
    // One upsert: an update-then-insert let the second of two at once fail on the primary key.
    await trx('person_divisions').insert({ person_id: personId, division_code: divisionCode, set_by: setBy, set_at: at }).onConflict('person_id').merge(['division_code', 'set_by', 'set_at'])
  }

  async function insertVerification(v: { id: string; personId: string; level: number; method: string; evidence: string; verifiedBy: string; divisionCode: string; at: number }, trx: Knex): Promise<void> {
    await trx('person_verifications').insert({ id: v.id, person_id: v.personId, level: v.level, method: v.method, evidence: v.evidence, verified_by: v.verifiedBy, division_code: v.divisionCode, verified_at: v.at })
    // The identity domain's evidence history (issue 3), in its own format for counter checks.
    if (await trx.schema.hasTable('assurance_evidence')) {
      await trx('assurance_evidence').insert({ id: v.id, person_id: v.personId, level: v.level, method: 'counter', verified_by: `staff:${v.verifiedBy}`, reference: v.evidence.slice(0, 200), verified_at: v.at })
    }
    await trx('persons').where({ id: v.personId }).where('assurance_level', '<', v.level).update({ assurance_level: v.level, updated_at: v.at })
  }

  async function findClient(clientId: string, trx: Knex = db): Promise<ClientAdminRow | undefined> {
    const row = await trx('clients').where({ client_id: clientId }).first()
    return row ? toClient(row) : undefined
  }

  /** The client, its row locked until `trx` ends (PostgreSQL; SQLite's writer is single anyway). */
  async function findClientForUpdate(clientId: string, trx: Knex.Transaction): Promise<ClientAdminRow | undefined> {
    const query = trx('clients').where({ client_id: clientId })
    const row = await (db.client.config.client === 'pg' ? query.forUpdate() : query).first()
    return row ? toClient(row) : undefined
  }

  async function insertClient(c: { clientId: string; name: string; metadata: Record<string, unknown>; secretSealed: string | null; divisionCode: string; status: ClientAdminRow['status'] }, trx: Knex): Promise<void> {
    const at = Date.now()
    await trx('clients').insert({ client_id: c.clientId, name: c.name, metadata: JSON.stringify(c.metadata), secret_sealed: c.secretSealed, division_code: c.divisionCode, status: c.status, created_at: at, updated_at: at })
  }

  /** The console's own client row: created on first start, its URIs kept in step with the issuer. */
  async function upsertConsoleClient(clientId: string, name: string, metadata: Record<string, unknown>): Promise<void> {
    const at = Date.now()
    const existing = await db('clients').where({ client_id: clientId }).first()
    if (!existing) {
      try {
        await db('clients').insert({ client_id: clientId, name, metadata: JSON.stringify(metadata), secret_sealed: null, division_code: null, status: 'active', created_at: at, updated_at: at })
      } catch (err) {
        if (!isUniqueViolation(err)) throw err
      }
    } else if (existing.metadata !== JSON.stringify(metadata)) {
      await db('clients').where({ client_id: clientId }).update({ metadata: JSON.stringify(metadata), updated_at: at })
    }
  }

  async function listClients(prefixes: string[] | null, includeUnassigned: boolean): Promise<ClientAdminRow[]> {
    const rows = await db('clients')
      .modify((b) => {
        if (prefixes === null) return
        b.where((w) => {
          w.whereRaw('1 = 0')
          for (const p of prefixes) w.orWhere('division_code', 'like', `${p}%`)
          if (includeUnassigned) w.orWhereNull('division_code')
        })
      })
      .orderBy('division_code', 'asc')
      .orderBy('created_at', 'asc')
    return rows.map(toClient)
  }

  async function updateClient(clientId: string, patch: { name?: string; metadata: Record<string, unknown> }, trx: Knex): Promise<void> {
    await trx('clients').where({ client_id: clientId }).update({ ...(patch.name ? { name: patch.name } : {}), metadata: JSON.stringify(patch.metadata), updated_at: Date.now() })
  }

  async function setClientStatus(clientId: string, status: ClientAdminRow['status'], trx: Knex): Promise<void> {
    await trx('clients').where({ client_id: clientId }).update({ status, updated_at: Date.now() })
  }

  async function setClientSecret(clientId: string, secretSealed: string, trx: Knex): Promise<void> {
    await trx('clients').where({ client_id: clientId }).update({ secret_sealed: secretSealed, updated_at: Date.now() })
  }

  /** Deletes the provider's sessions of one account (when single logout is not wired in to end them with their grants). */
  async function endPersonSessions(accountId: string, trx: Knex): Promise<number> {
    const ids = (await trx('oidc_payloads').where({ type: 'Session', account_id: accountId }).select('id')).map((row: { id: string }) => row.id)
    return endSessionRows(trx, ids)
  }

  // ------------------------------------------------------------ legal persons (identity's tables, issue 3)

  async function findEnterprise(q: { id?: string; uscc?: string }): Promise<{ id: string; uscc: string; name: string; kind: string; legalRepresentativeId: string } | undefined> {
    const row = await db('enterprises').where(q.id ? { id: q.id } : { uscc: q.uscc }).first()
    return row ? { id: row.id, uscc: row.uscc, name: row.name, kind: row.kind, legalRepresentativeId: row.legal_representative_id } : undefined
  }

  async function listMandates(enterpriseId: string) {
    const rows = await db('mandates as m').leftJoin('persons as p', 'p.id', 'm.agent_id').where('m.enterprise_id', enterpriseId).select('m.*', 'p.name as agent_name').orderBy('m.created_at', 'asc')
    return rows.map((r: Record<string, unknown>) => ({
      id: String(r.id),
      agentId: String(r.agent_id),
      agentName: r.agent_name ? String(r.agent_name) : '',
      clientIds: r.client_ids ? (JSON.parse(String(r.client_ids)) as string[]) : null,
      validUntil: r.valid_until == null ? null : Number(r.valid_until),
      createdAt: Number(r.created_at),
      revokedAt: r.revoked_at == null ? null : Number(r.revoked_at),
    }))
  }

  async function listEnterpriseVerifications(enterpriseId: string) {
    const rows = await db('enterprise_verifications').where({ enterprise_id: enterpriseId }).orderBy('verified_at', 'asc')
    return rows.map((r: Record<string, unknown>) => ({ id: String(r.id), kind: String(r.kind), evidence: String(r.evidence), verifiedBy: String(r.verified_by), verifiedAt: Number(r.verified_at) }))
  }

  async function insertEnterpriseVerification(v: { id: string; enterpriseId: string; kind: string; evidence: string; verifiedBy: string; divisionCode: string; at: number }, trx: Knex): Promise<void> {
    await trx('enterprise_verifications').insert({ id: v.id, enterprise_id: v.enterpriseId, kind: v.kind, evidence: v.evidence, verified_by: v.verifiedBy, division_code: v.divisionCode, verified_at: v.at })
  }

  async function setLegalRepresentative(enterpriseId: string, personId: string, trx: Knex): Promise<void> {
    await trx('enterprises').where({ id: enterpriseId }).update({ legal_representative_id: personId, updated_at: Date.now() })
  }

  /** false when the mandate is not the enterprise's or already revoked. */
  async function revokeMandate(enterpriseId: string, mandateId: string, revokedBy: string, trx: Knex): Promise<boolean> {
    const updated = await trx('mandates').where({ id: mandateId, enterprise_id: enterpriseId }).whereNull('revoked_at').update({ revoked_at: Date.now(), revoked_by: revokedBy })
    return updated > 0
  }

  /** Back-channel logout attempts since `since`, and what waits in the federation's retry queue. */
  async function logoutDeliverySummary(clientId: string, since: number): Promise<{ delivered: number; failed: number; queued: number; abandoned: number; lastError: string | null }> {
    const counts = await db('logout_deliveries').where({ client_id: clientId }).where('created_at', '>=', since).select('status').count({ n: '*' }).groupBy('status')
    const count = (status: string) => Number((counts as Record<string, unknown>[]).find((r) => r.status === status)?.n ?? 0)
    const lastFailure = await db('logout_deliveries').where({ client_id: clientId, status: 'failed' }).orderBy('created_at', 'desc').first()
    let queued = 0
    let abandoned = 0
    if (await db.schema.hasTable('logout_queue')) {
      const queue = await db('logout_queue').where({ client_id: clientId }).whereIn('status', ['pending', 'abandoned']).select('status').count({ n: '*' }).groupBy('status')
      queued = Number((queue as Record<string, unknown>[]).find((r) => r.status === 'pending')?.n ?? 0)
      abandoned = Number((queue as Record<string, unknown>[]).find((r) => r.status === 'abandoned')?.n ?? 0)
    }
    return { delivered: count('delivered'), failed: count('failed'), queued, abandoned, lastError: lastFailure?.error ? String(lastFailure.error).slice(0, 200) : null }
  }
}

function personQuery(conn: Knex) {
  return conn('persons as p')
    .leftJoin('person_divisions as d', 'd.person_id', 'p.id')
    .select('p.id', 'p.name', 'p.id_number_masked', 'p.id_number_sealed', 'p.phone', 'p.assurance_level', 'p.created_at', 'p.disabled_at', 'd.division_code')
}

function toAdmin(row: Record<string, unknown>): AdminRow {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v))
  return {
    id: String(row.id),
    personId: String(row.person_id),
    role: String(row.role),
    divisionCode: String(row.division_code),
    createdBy: row.created_by === null ? null : String(row.created_by),
    createdAt: Number(row.created_at),
    disabledAt: num(row.disabled_at),
    failedSignIns: Number(row.failed_sign_ins),
    lockedUntil: num(row.locked_until),
    passwordChangedAt: num(row.password_changed_at),
  }
}

function toPerson(row: Record<string, unknown>): PersonSummaryRow {
  return {
    id: String(row.id),
    name: String(row.name),
    idNumberMasked: String(row.id_number_masked),
    idNumberSealed: String(row.id_number_sealed),
    phone: String(row.phone),
    assuranceLevel: Number(row.assurance_level),
    createdAt: Number(row.created_at),
    disabledAt: row.disabled_at === null || row.disabled_at === undefined ? null : Number(row.disabled_at),
    divisionCode: row.division_code ? String(row.division_code) : null,
  }
}

function toClient(row: Record<string, unknown>): ClientAdminRow {
  return {
    clientId: String(row.client_id),
    name: String(row.name),
    metadata: JSON.parse(String(row.metadata)),
    divisionCode: row.division_code ? String(row.division_code) : null,
    status: row.status as ClientAdminRow['status'],
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}
