/*
 * Administration: every operation takes the acting administrator, checks can() against the
 * target's division before reading or writing, and commits the change with its audit record in
 * one transaction. Refusals are audited too (admin.access.denied), then thrown as 403.
 */
import { randomBytes } from 'node:crypto'
import type { Knex } from 'knex'
import { maskIdNumber, parseIdNumber, parsePhone, PASSWORD_POLICIES, type PasswordPolicy } from '../accounts/index.js'
import type { Audit, AuditEvent, AuditEventType } from '../audit/index.js'
import type { Config } from '../config/index.js'
import type { Jwk } from '../keys/index.js'
import { buildClientMetadata, validateClientMetadata } from '../oidc/index.js'
import { blindIndex, open, seal } from '../shared/crypto.js'
import { isCutOff } from '../shared/sessions-cutoff.js'
import type { AppError } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import type { Transaction } from '../shared/transaction.js'
import type { AdminStore, ClientAdminRow, PersonSummaryRow } from '../store/admin.js'
import type { ClientStore } from '../store/clients.js'
import { AdminError } from './errors.js'
import { can, canGrant, isRole, ROLE_LEVEL, type Actor, type Grant, type Permission, type Role } from './roles.js'
import type { ClientCreate, ClientUpdate } from './schemas.js'
import type { DivisionScope } from './scope.js'

export interface AdministrationDeps {
  config: Config
  store: AdminStore
  audit: Audit
  scope: DivisionScope
  clients: ClientStore
  loadJwks: () => Promise<Jwk[]>
  keyEncryptionKey: Buffer
  piiEncryptionKey: Buffer
  piiBlindIndexKey: Buffer
  /**
   * Ends every session of a person inside `tx` (single logout's endEverySession); `notify` tells
   * the portals and is called after the commit.
   */
  endSessions?: (accountId: string, tx: Transaction) => Promise<{ sessionsEnded: number; notify: () => Promise<unknown> }>
  /** Clears the person's failed-sign-in throttle inside `tx` (identity's persons.clearSignInFailures). */
  clearSignInFailures?: (personId: string, tx: Transaction) => Promise<void>
  /** The MFA domain's reset (enrolment.reset): removes the authenticator inside `tx`; whether one was enrolled. */
  resetSecondFactor?: (personId: string, tx: Transaction) => Promise<boolean>
  /** The accounts domain's password functions, for an administrator's own periodic change. */
  passwords?: AdminPasswords
  now?: () => number
}

/** What periodic change needs from the accounts domain (createPersons). */
export interface AdminPasswords {
  passwordStatus(personId: string): Promise<{ changedAt: number | null; policy: string } | undefined>
  verifyPassword(personId: string, password: string): Promise<boolean>
  preparePassword(personId: string, password: string, options: { policy: PasswordPolicy }): Promise<{ problems: AppError[]; apply: (tx?: Transaction) => Promise<void> }>
}

const DAY_MS = 86_400_000

export type Administration = ReturnType<typeof createAdministration>

export interface MaskedPerson {
  id: string
  name: string
  idNumber: string
  phone: string
  assuranceLevel: number
  divisionCode: string | null
  disabled: boolean
  createdAt: string
}

export function createAdministration(deps: AdministrationDeps) {
  const now = deps.now ?? Date.now
  const { store, audit, scope } = deps
  const db = store.db

  return {
    actorFor,
    check,
    addAdmin,
    listAdmins,
    listClients,
    getClient,
    createClient,
    updateClient,
    setClientStatus,
    rotateClientSecret,
    clientHealth,
    searchPersons,
    viewPerson,
    setPersonDisabled,
    endPersonSessions,
    unlockPerson,
    resetMfa,
    verifyAtCounter,
    revealIdNumber,
    findEnterprise,
    viewEnterprise,
    verifyEnterprise,
    setLegalRepresentative,
    revokeMandate,
    auditPrefixes,
    divisionOfPerson,
    noteFailedSignIn,
    startConsoleSession,
    passwordExpired,
    changeOwnPassword,
    tokenRevoked,
    signOutConsole,
  }

  /**
   * Periodic change (等保 level 3): true when the administrator's password is older than
   * admin.passwordMaxAgeDays, of unknown age (imported), or met only the resident policy.
   */
  async function passwordExpired(personId: string): Promise<boolean> {
    if (!deps.passwords) return false
    const status = await deps.passwords.passwordStatus(personId)
    if (!status) return false
    if (status.policy !== 'admin' || status.changedAt === null) return true
    return now() - status.changedAt > deps.config.admin.passwordMaxAgeDays * DAY_MS
  }

  /**
   * The administrator's own new password, under the administrators' policy. A wrong current
   * password counts towards the admin lockout, like a failed sign-in. The new hash, the end of
   * earlier admin-API tokens and the audit record commit together.
   */
  async function changeOwnPassword(actor: Actor, input: { current: string; password: string; confirm: string }): Promise<void> {
    const passwords = deps.passwords
    if (!passwords) throw new Error('administrator passwords are not wired')
    if (!(await passwords.verifyPassword(actor.personId, input.current))) {
      await countAdminFailure(actor.personId, actorOf(actor), { during: 'password_change' })
      throw AdminError.PASSWORD_WRONG({ field: 'current' })
    }
    if (input.password !== input.confirm) throw AdminError.PASSWORD_MISMATCH({ field: 'confirm' })
    if (await passwords.verifyPassword(actor.personId, input.password)) throw AdminError.PASSWORD_UNCHANGED({ field: 'password' })
    const prepared = await passwords.preparePassword(actor.personId, input.password, { policy: PASSWORD_POLICIES.admin })
    if (prepared.problems.length > 0) throw prepared.problems[0]
    await inTransaction(async (trx) => {
      await prepared.apply(trx)
      await store.clearFailures(actor.personId, trx)
      await store.cutTokens(actor.personId, now(), trx)
      await record(trx, actor, 'admin.password.changed', actor.grants[0]?.divisionCode ?? null, { type: 'admin', id: actor.personId }, { policy: 'admin' })
    })
  }

  /**
   * Whether an admin-API token issued at `issuedAtSeconds` (JWT iat) was cut off: the person's
   * sessions were ended, the account disabled or the password changed at or after that second.
   */
  async function tokenRevoked(personId: string, issuedAtSeconds: number | undefined): Promise<boolean> {
    // iat has one-second resolution: a token from the same second as the cut is refused too.
    return isCutOff(await store.tokensNotBefore(personId), issuedAtSeconds)
  }

  /** The administrator signs out of the console: that session ends and so do their admin-API tokens. */
  async function signOutConsole(actor: Actor, sessionId: string): Promise<void> {
    await inTransaction(async (trx) => {
      await store.endSession(sessionId, now(), trx)
      await store.cutTokens(actor.personId, now(), trx)
      await record(trx, actor, 'admin.session.ended', actor.grants[0]?.divisionCode ?? null, { type: 'admin', id: actor.personId })
    })
  }

  /**
   * The stricter administrator policy: a failed password for an account holding an admin role
   * counts towards its lockout (config.admin.maxFailedSignIns, then lockMinutes). The identifier
   * is resolved through the blind index and never stored or logged.
   */
  async function noteFailedSignIn(identifier: string, from: { ip?: string; clientId?: string }): Promise<void> {
    const person = await findPersonByLogin(identifier)
    if (!person || (await store.grantsOf(person.id)).length === 0) return
    await countAdminFailure(person.id, { type: 'person', id: person.id, ip: from.ip ?? null, clientId: from.clientId ?? null }, {})
  }

  /** One failure towards the admin lockout; the lock and its record commit together. */
  async function countAdminFailure(personId: string, actor: AuditEvent['actor'], details: Record<string, unknown>): Promise<void> {
    await inTransaction(async (trx) => {
      const { locked } = await store.noteFailedSignIn(personId, deps.config.admin.maxFailedSignIns, deps.config.admin.lockMinutes * 60_000, now(), trx)
      if (locked) await audit.record({ type: 'auth.account.locked', actor, target: { type: 'admin', id: personId }, result: 'failure', errorCode: 'ADMIN_LOCKED', details: { minutes: deps.config.admin.lockMinutes, ...details } }, trx)
    })
  }

  /** A console session after a successful sign-in: failures reset, the session row and its record in one transaction. */
  async function startConsoleSession(actor: Actor, session: { id: string; acr: string | null }): Promise<void> {
    await inTransaction(async (trx) => {
      await store.clearFailures(actor.personId, trx)
      await store.startSession({ id: session.id, personId: actor.personId, acr: session.acr, now: now() }, trx)
      await record(trx, actor, 'admin.session.started', actor.grants[0]?.divisionCode ?? null, { type: 'admin', id: actor.personId }, { acr: session.acr, roles: actor.grants.map((g) => `${g.role}@${g.divisionCode}`) })
    })
  }

  /** The actor for a signed-in person, or undefined when the person holds no active grant. */
  async function actorFor(personId: string, from: { ip?: string; userAgent?: string } = {}): Promise<Actor | undefined> {
    const rows = await store.grantsOf(personId)
    // A disabled account holds no administrative power, whatever its grants say.
    if (rows.length > 0 && (await store.findPersonSummary(personId))?.disabledAt !== null) return undefined
    const grants: Grant[] = rows.filter((r) => isRole(r.role)).map((r) => ({ role: r.role as Role, divisionCode: r.divisionCode }))
    if (grants.length === 0) return undefined
    if (rows.some((r) => r.lockedUntil !== null && r.lockedUntil > now())) throw AdminError.LOCKED()
    return { personId, grants, ip: from.ip, userAgent: from.userAgent }
  }

  /** Throws FORBIDDEN (after auditing the refusal) unless the actor may `permission` over `division`. */
  async function check(actor: Actor, permission: Permission, divisionCode: string | null, target?: { type: string; id: string }): Promise<void> {
    if (can(scope, actor, permission, divisionCode)) return
    await audit.record({ type: 'admin.access.denied', actor: actorOf(actor), divisionCode, target, result: 'failure', errorCode: 'ADMIN_FORBIDDEN', details: { permission } })
    throw AdminError.FORBIDDEN()
  }

  async function inTransaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return db.transaction(work)
  }

  function actorOf(actor: Actor) {
    return { type: 'admin' as const, id: actor.personId, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null }
  }

  async function record(trx: Knex.Transaction, actor: Actor | 'cli', type: AuditEventType, divisionCode: string | null, target: { type: string; id: string }, details: Record<string, unknown> = {}) {
    await audit.record({ type, actor: actor === 'cli' ? { type: 'system', id: 'cli' } : actorOf(actor), divisionCode, target, details }, trx)
  }

  // ---------------------------------------------------------------- administrators

  /**
   * Grants `role` over `divisionCode` to the person with that ID number or phone. `actor` 'cli'
   * is the shell of the installation (bootstrap: there is no default administrator).
   */
  async function addAdmin(actor: Actor | 'cli', input: { login: string; role: string; divisionCode: string }) {
    if (!isRole(input.role)) throw AdminError.INVALID_INPUT({ field: 'role' })
    const role = input.role
    const level = scope.levelOf(input.divisionCode)
    if (!level) throw AdminError.DIVISION_UNKNOWN()
    if (ROLE_LEVEL[role] && ROLE_LEVEL[role] !== level) throw AdminError.ROLE_DIVISION_MISMATCH({ role, level })
    if (actor !== 'cli' && !canGrant(scope, actor, role, input.divisionCode)) {
      await audit.record({ type: 'admin.access.denied', actor: actorOf(actor), divisionCode: input.divisionCode, result: 'failure', errorCode: 'ADMIN_FORBIDDEN', details: { grant: role } })
      throw AdminError.FORBIDDEN()
    }
    const person = await findPersonByLogin(input.login)
    if (!person) throw AdminError.LOGIN_UNKNOWN()
    const id = newId()
    return inTransaction(async (trx) => {
      const inserted = await store.insertAdmin({ id, personId: person.id, role, divisionCode: input.divisionCode, createdBy: actor === 'cli' ? null : actor.personId, createdAt: now(), disabledAt: null, failedSignIns: 0, lockedUntil: null, passwordChangedAt: now() }, trx)
      if (!inserted) throw AdminError.ALREADY_ADMIN()
      await record(trx, actor, 'admin.admin.created', input.divisionCode, { type: 'admin', id }, { role, personId: person.id })
      return { id, personId: person.id, role, divisionCode: input.divisionCode, name: maskName(person.name) }
    })
  }

  async function listAdmins(actor: Actor) {
    const rows = await store.listAdmins()
    return rows
      .filter((r) => can(scope, actor, 'admin.read', r.divisionCode))
      .map((r) => ({ id: r.id, personId: r.personId, role: r.role, divisionCode: r.divisionCode, disabled: r.disabledAt !== null, locked: r.lockedUntil !== null && r.lockedUntil > now() }))
  }

  // ---------------------------------------------------------------- service systems

  async function listClients(actor: Actor, division?: string) {
    if (division) await check(actor, 'client.read', division)
    const readable = actor.grants.filter((g) => can(scope, actor, 'client.read', g.divisionCode))
    if (readable.length === 0) await check(actor, 'client.read', division ?? null)
    const provinceWide = readable.some((g) => scope.levelOf(g.divisionCode) === 'province')
    const prefixes = division ? scope.prefixesFor(division) : provinceWide ? null : readable.flatMap((g) => scope.prefixesFor(g.divisionCode))
    const rows = await store.listClients(prefixes, provinceWide && !division)
    return rows.filter((c) => can(scope, actor, 'client.read', c.divisionCode)).map(clientView)
  }

  async function loadClient(actor: Actor, clientId: string, permission: Permission): Promise<ClientAdminRow> {
    const client = await store.findClient(clientId)
    if (!client) throw AdminError.NOT_FOUND()
    await check(actor, permission, client.divisionCode, { type: 'client', id: clientId })
    return client
  }

  async function getClient(actor: Actor, clientId: string) {
    return clientView(await loadClient(actor, clientId, 'client.read'))
  }

  async function createClient(actor: Actor, input: ClientCreate) {
    await check(actor, 'client.write', input.divisionCode)
    const clientId = newId()
    const secret = randomBytes(32).toString('base64url')
    const metadata = buildClientMetadata({
      name: input.name,
      redirectUris: input.redirectUris,
      postLogoutRedirectUris: input.postLogoutRedirectUris,
      backchannelLogoutUri: input.backchannelLogoutUri,
      extraMetadata: input.allowedScopes ? { scope: ['openid', ...input.allowedScopes.filter((s) => s !== 'openid')].join(' ') } : undefined,
    })
    await validateMetadata({ ...metadata, client_id: clientId, client_secret: secret })
    await inTransaction(async (trx) => {
      await store.insertClient({ clientId, name: input.name, metadata, secretSealed: seal(deps.keyEncryptionKey, secret, `client-secret:${clientId}`), divisionCode: input.divisionCode, status: 'active' }, trx)
      await record(trx, actor, 'admin.client.created', input.divisionCode, { type: 'client', id: clientId }, { name: input.name, redirectUris: input.redirectUris })
    })
    deps.clients.invalidate(clientId)
    return { ...clientView((await store.findClient(clientId))!), clientSecret: secret }
  }

  async function updateClient(actor: Actor, clientId: string, input: ClientUpdate) {
    const client = await loadClient(actor, clientId, 'client.write')
    await validateUpdatedMetadata(clientId, withClientUpdate(client.metadata, input))
    await inTransaction(async (trx) => {
      // The change goes onto the row as it is now, locked: two administrators editing different
      // fields at once both keep theirs (merged onto the copy read before, the later write lost
      // the earlier change).
      const current = await store.findClientForUpdate(clientId, trx)
      if (!current) throw AdminError.NOT_FOUND()
      // Validated above against the copy read then (outside the transaction: validation may read
      // the database, and on SQLite this transaction holds the only connection).
      const metadata = withClientUpdate(current.metadata, input)
      await store.updateClient(clientId, { name: input.name, metadata }, trx)
      await record(trx, actor, 'admin.client.updated', client.divisionCode, { type: 'client', id: clientId }, { changed: Object.keys(input) })
    })
    deps.clients.invalidate(clientId)
    return getClient(actor, clientId)
  }

  function validateUpdatedMetadata(clientId: string, metadata: Record<string, unknown>): Promise<void> {
    return validateMetadata({ ...metadata, client_id: clientId, ...(metadata.token_endpoint_auth_method === 'none' ? {} : { client_secret: 'x'.repeat(43) }) })
  }

  async function setClientStatus(actor: Actor, clientId: string, status: 'active' | 'suspended') {
    const client = await loadClient(actor, clientId, 'client.write')
    await inTransaction(async (trx) => {
      await store.setClientStatus(clientId, status, trx)
      await record(trx, actor, status === 'suspended' ? 'admin.client.suspended' : 'admin.client.activated', client.divisionCode, { type: 'client', id: clientId }, { from: client.status })
    })
    deps.clients.invalidate(clientId)
    return getClient(actor, clientId)
  }

  /** A new secret, shown once; the old one stops working at once (and from the client cache within its TTL). */
  async function rotateClientSecret(actor: Actor, clientId: string) {
    const client = await loadClient(actor, clientId, 'client.write')
    if (client.metadata.token_endpoint_auth_method === 'none') throw AdminError.INVALID_INPUT({ reason: 'public client has no secret' })
    const secret = randomBytes(32).toString('base64url')
    await inTransaction(async (trx) => {
      await store.setClientSecret(clientId, seal(deps.keyEncryptionKey, secret, `client-secret:${clientId}`), trx)
      await record(trx, actor, 'admin.client.secret_rotated', client.divisionCode, { type: 'client', id: clientId })
    })
    deps.clients.invalidate(clientId)
    return { clientId, clientSecret: secret }
  }

  /** Integration health over the last 24 hours: sign-ins and tokens, logout deliveries. */
  async function clientHealth(actor: Actor, clientId: string) {
    const client = await loadClient(actor, clientId, 'client.read')
    const since = now() - 86_400_000
    const counts = await audit.countByType(clientId, since)
    const deliveries = await store.logoutDeliverySummary(clientId, since)
    return {
      clientId,
      status: client.status,
      since: new Date(since).toISOString(),
      signIns: counts['auth.login.succeeded'] ?? 0,
      failedSignIns: counts['auth.login.failed'] ?? 0,
      tokensIssued: counts['oidc.token.issued'] ?? 0,
      logoutDeliveries: deliveries,
    }
  }

  // ---------------------------------------------------------------- persons

  async function divisionOfPerson(row: PersonSummaryRow): Promise<string> {
    if (row.divisionCode) return row.divisionCode
    // Default home division: the area code of the ID number (opened in memory, never returned).
    return open(deps.piiEncryptionKey, row.idNumberSealed, `id-number:${row.id}`).slice(0, 6)
  }

  async function findPersonByLogin(login: string) {
    const phone = parsePhone(login)
    if (phone.ok) return (await store.searchPersons({ phone: phone.value, limit: 1 }))[0]
    const idNumber = parseIdNumber(login)
    if (idNumber.ok) return (await store.searchPersons({ idNumberIndex: blindIndex(deps.piiBlindIndexKey, idNumber.value, 'id-number'), limit: 1 }))[0]
    return undefined
  }

  /** Exact search by ID number (blind index), phone, or full name; only persons in scope come back, masked. */
  async function searchPersons(actor: Actor, q: string) {
    if (!actor.grants.some((g) => can(scope, actor, 'person.read', g.divisionCode))) await check(actor, 'person.read', null)
    const phone = parsePhone(q)
    const idNumber = parseIdNumber(q)
    const rows = phone.ok
      ? await store.searchPersons({ phone: phone.value, limit: 50 })
      : idNumber.ok
        ? await store.searchPersons({ idNumberIndex: blindIndex(deps.piiBlindIndexKey, idNumber.value, 'id-number'), limit: 50 })
        : await store.searchPersons({ name: q.trim(), limit: 200 })
    const out: MaskedPerson[] = []
    for (const row of rows) {
      const division = await divisionOfPerson(row)
      if (can(scope, actor, 'person.read', division)) out.push(maskedPerson(row, division))
    }
    await audit.record({ type: 'admin.person.searched', actor: actorOf(actor), divisionCode: actor.grants[0]?.divisionCode ?? null, details: { by: phone.ok ? 'phone' : idNumber.ok ? 'id_number' : 'name', results: out.length } })
    return out
  }

  async function loadPerson(actor: Actor, personId: string, permission: Permission) {
    const row = await store.findPersonSummary(personId)
    if (!row) throw AdminError.NOT_FOUND()
    const division = await divisionOfPerson(row)
    await check(actor, permission, division, { type: 'person', id: personId })
    return { row, division }
  }

  async function viewPerson(actor: Actor, personId: string) {
    const { row, division } = await loadPerson(actor, personId, 'person.read')
    return maskedPerson(row, division)
  }

  /** Disabling also ends every session, as endPersonSessions does, and the portals are told. */
  async function setPersonDisabled(actor: Actor, personId: string, disabled: boolean, reason: string) {
    const { division } = await loadPerson(actor, personId, 'person.write')
    const ended = await inTransaction(async (trx) => {
      await store.setPersonDisabled(personId, disabled ? now() : null, trx)
      const ending = disabled ? await endEverything(personId, trx) : undefined
      await record(trx, actor, disabled ? 'admin.person.disabled' : 'admin.person.enabled', division, { type: 'person', id: personId }, { reason })
      return ending
    })
    await ended?.notify()
    return viewPerson(actor, personId)
  }

  /**
   * Ends the person's OneDoor sessions (with their grants' tokens), console sessions and admin-API
   * tokens, and records it, in one transaction; the portals are told after the commit (the
   * network cannot join a transaction; undelivered logouts are queued and retried).
   */
  async function endPersonSessions(actor: Actor, personId: string, reason: string) {
    const { division } = await loadPerson(actor, personId, 'person.write')
    const { sessionsEnded, notify } = await inTransaction(async (trx) => {
      const ended = await endEverything(personId, trx)
      await record(trx, actor, 'admin.person.sessions_ended', division, { type: 'person', id: personId }, { reason, sessions: ended.sessionsEnded })
      return ended
    })
    await notify()
    return { personId, sessionsEnded }
  }

  /**
   * Inside `trx`: the person's OneDoor sessions with their grants' tokens (single logout's
   * endEverySession when wired), console sessions and admin-API tokens. `notify` tells the
   * portals and is for after the commit.
   */
  async function endEverything(personId: string, trx: Knex.Transaction): Promise<{ sessionsEnded: number; notify: () => Promise<unknown> }> {
    const ended = deps.endSessions ? await deps.endSessions(personId, trx) : { sessionsEnded: await store.endPersonSessions(personId, trx), notify: async () => undefined }
    await store.endConsoleSessions(personId, now(), trx)
    await store.cutTokens(personId, now(), trx)
    return ended
  }

  /** Unlock: the sign-in throttle and any administrator lockout of the person start from zero (with the record, one transaction). */
  async function unlockPerson(actor: Actor, personId: string, reason: string) {
    const { division } = await loadPerson(actor, personId, 'person.unlock')
    await inTransaction(async (trx) => {
      await deps.clearSignInFailures?.(personId, trx)
      await store.clearFailures(personId, trx)
      await record(trx, actor, 'admin.person.unlocked', division, { type: 'person', id: personId }, { reason })
    })
    return viewPerson(actor, personId)
  }

  /** Removes the second factor (lost phone) through the MFA domain: the person enrols again at the next level-3 sign-in. */
  async function resetMfa(actor: Actor, personId: string, reason: string) {
    const { division } = await loadPerson(actor, personId, 'person.write')
    const resetSecondFactor = deps.resetSecondFactor
    if (!resetSecondFactor) throw new Error('the MFA reset is not wired')
    const hadMfa = await inTransaction(async (trx) => {
      const enrolled = await resetSecondFactor(personId, trx)
      await record(trx, actor, 'admin.person.mfa_reset', division, { type: 'person', id: personId }, { reason, enrolled })
      return enrolled
    })
    return { personId, mfaRemoved: hadMfa }
  }

  /** Counter verification (窗口核验): raises the person to level 2 with the evidence recorded. */
  async function verifyAtCounter(actor: Actor, personId: string, input: { evidence: string; method: string; divisionCode?: string }) {
    const { division } = await loadPerson(actor, personId, 'person.verify')
    const home = input.divisionCode ?? division
    if (input.divisionCode) await check(actor, 'person.verify', input.divisionCode, { type: 'person', id: personId })
    const id = newId()
    await inTransaction(async (trx) => {
      await store.insertVerification({ id, personId, level: 2, method: input.method, evidence: input.evidence, verifiedBy: actor.personId, divisionCode: home, at: now() }, trx)
      if (input.divisionCode) await store.setPersonDivision(personId, input.divisionCode, actor.personId, trx)
      await record(trx, actor, 'admin.person.verified', home, { type: 'person', id: personId }, { level: 2, method: input.method, evidence: input.evidence, verificationId: id })
    })
    return viewPerson(actor, personId)
  }

  /** The full ID number, for a stated reason; the reveal itself is the audit record. */
  async function revealIdNumber(actor: Actor, personId: string, reason: string) {
    const { row, division } = await loadPerson(actor, personId, 'person.reveal_id')
    await inTransaction(async (trx) => {
      await record(trx, actor, 'admin.person.id_number_revealed', division, { type: 'person', id: personId }, { reason })
    })
    return { personId, idNumber: open(deps.piiEncryptionKey, row.idNumberSealed, `id-number:${row.id}`) }
  }

  // ---------------------------------------------------------------- legal persons

  /**
   * An enterprise belongs to the division of its registration authority: characters 3-8 of the
   * unified social credit code (GB 32100) are that authority's division code.
   */
  async function loadEnterprise(actor: Actor, enterpriseId: string, permission: Permission) {
    const enterprise = await store.findEnterprise({ id: enterpriseId })
    if (!enterprise) throw AdminError.NOT_FOUND()
    const division = enterprise.uscc.slice(2, 8)
    await check(actor, permission, division, { type: 'enterprise', id: enterpriseId })
    return { enterprise, division }
  }

  async function findEnterprise(actor: Actor, uscc: string) {
    const enterprise = await store.findEnterprise({ uscc })
    if (!enterprise) throw AdminError.NOT_FOUND()
    return viewEnterprise(actor, enterprise.id)
  }

  async function viewEnterprise(actor: Actor, enterpriseId: string) {
    const { enterprise, division } = await loadEnterprise(actor, enterpriseId, 'person.read')
    const representative = await store.findPersonSummary(enterprise.legalRepresentativeId)
    const mandates = await store.listMandates(enterpriseId)
    return {
      id: enterprise.id,
      uscc: enterprise.uscc,
      name: enterprise.name,
      kind: enterprise.kind,
      divisionCode: division,
      legalRepresentative: representative ? { id: representative.id, name: maskName(representative.name), idNumber: representative.idNumberMasked } : null,
      verifications: (await store.listEnterpriseVerifications(enterpriseId)).map((v) => ({ ...v, verifiedAt: new Date(v.verifiedAt).toISOString() })),
      mandates: mandates.map((m) => ({
        id: m.id,
        agent: { id: m.agentId, name: maskName(m.agentName) },
        scope: m.clientIds ?? 'all',
        validUntil: m.validUntil === null ? null : new Date(m.validUntil).toISOString(),
        revoked: m.revokedAt !== null,
        active: m.revokedAt === null && (m.validUntil === null || m.validUntil > now()),
      })),
    }
  }

  async function verifyEnterprise(actor: Actor, enterpriseId: string, input: { evidence: string; kind: string }) {
    const { division } = await loadEnterprise(actor, enterpriseId, 'person.verify')
    const id = newId()
    await inTransaction(async (trx) => {
      await store.insertEnterpriseVerification({ id, enterpriseId, kind: input.kind, evidence: input.evidence, verifiedBy: actor.personId, divisionCode: division, at: now() }, trx)
      await record(trx, actor, 'admin.enterprise.verified', division, { type: 'enterprise', id: enterpriseId }, { kind: input.kind, evidence: input.evidence })
    })
    return viewEnterprise(actor, enterpriseId)
  }

  /** A new legal representative (after a registry change), found by ID number or phone; the evidence is recorded. */
  async function setLegalRepresentative(actor: Actor, enterpriseId: string, input: { login: string; evidence: string }) {
    const { enterprise, division } = await loadEnterprise(actor, enterpriseId, 'person.write')
    const person = await findPersonByLogin(input.login)
    if (!person) throw AdminError.LOGIN_UNKNOWN()
    if (person.disabledAt !== null) throw AdminError.INVALID_INPUT({ reason: 'account disabled' })
    await inTransaction(async (trx) => {
      await store.setLegalRepresentative(enterpriseId, person.id, trx)
      await store.insertEnterpriseVerification({ id: newId(), enterpriseId, kind: 'representative_change', evidence: input.evidence, verifiedBy: actor.personId, divisionCode: division, at: now() }, trx)
      await record(trx, actor, 'admin.enterprise.representative_changed', division, { type: 'enterprise', id: enterpriseId }, { from: enterprise.legalRepresentativeId, to: person.id, evidence: input.evidence })
    })
    return viewEnterprise(actor, enterpriseId)
  }

  /** Revokes a mandate; it stops working at the agent's next token issuance or refresh. */
  async function revokeMandate(actor: Actor, enterpriseId: string, mandateId: string, reason: string) {
    const { division } = await loadEnterprise(actor, enterpriseId, 'person.write')
    await inTransaction(async (trx) => {
      if (!(await store.revokeMandate(enterpriseId, mandateId, actor.personId, trx))) throw AdminError.NOT_FOUND()
      await record(trx, actor, 'admin.mandate.revoked', division, { type: 'mandate', id: mandateId }, { enterpriseId, reason })
    })
    return viewEnterprise(actor, enterpriseId)
  }

  // ---------------------------------------------------------------- audit reading

  /** Division prefixes the actor may read the audit trail for; null = the whole trail. Throws if none. */
  async function auditPrefixes(actor: Actor): Promise<string[] | null> {
    const readers = actor.grants.filter((g) => can(scope, actor, 'audit.read', g.divisionCode))
    if (readers.length === 0) {
      await check(actor, 'audit.read', null)
      return []
    }
    if (readers.some((g) => scope.levelOf(g.divisionCode) === 'province')) return null
    return readers.flatMap((g) => scope.prefixesFor(g.divisionCode))
  }

  async function validateMetadata(metadata: Record<string, unknown>) {
    const problem = await validateClientMetadata(deps.config, await deps.loadJwks(), metadata)
    if (problem) throw AdminError.CLIENT_METADATA_INVALID({ problem })
  }
}

function clientView(c: ClientAdminRow) {
  return {
    clientId: c.clientId,
    name: c.name,
    divisionCode: c.divisionCode,
    status: c.status,
    redirectUris: (c.metadata.redirect_uris as string[]) ?? [],
    postLogoutRedirectUris: (c.metadata.post_logout_redirect_uris as string[]) ?? [],
    backchannelLogoutUri: (c.metadata.backchannel_logout_uri as string | undefined) ?? null,
    allowedScopes: typeof c.metadata.scope === 'string' ? c.metadata.scope.split(' ') : null,
    publicClient: c.metadata.token_endpoint_auth_method === 'none',
    updatedAt: new Date(c.updatedAt).toISOString(),
  }
}

function maskName(name: string): string {
  const chars = [...name]
  return chars.length <= 1 ? '*' : `${chars[0]}${'*'.repeat(chars.length - 1)}`
}

function maskedPerson(row: PersonSummaryRow, divisionCode: string): MaskedPerson {
  return {
    id: row.id,
    name: maskName(row.name),
    idNumber: row.idNumberMasked || maskIdNumber(''),
    phone: `${row.phone.slice(0, 3)}****${row.phone.slice(-4)}`,
    assuranceLevel: row.assuranceLevel,
    divisionCode,
    disabled: row.disabledAt !== null,
    createdAt: new Date(row.createdAt).toISOString(),
  }
}

/** A client's metadata with an administrator's change applied (fields left out stay as they are). */
function withClientUpdate(current: Record<string, unknown>, input: ClientUpdate): Record<string, unknown> {
  const metadata: Record<string, unknown> = { ...current }
  if (input.name) metadata.client_name = input.name
  if (input.redirectUris) metadata.redirect_uris = input.redirectUris
  if (input.postLogoutRedirectUris) metadata.post_logout_redirect_uris = input.postLogoutRedirectUris
  if (input.backchannelLogoutUri === null) {
    delete metadata.backchannel_logout_uri
    delete metadata.backchannel_logout_session_required
  } else if (input.backchannelLogoutUri) {
    metadata.backchannel_logout_uri = input.backchannelLogoutUri
    metadata.backchannel_logout_session_required = true
  }
  if (input.allowedScopes) metadata.scope = ['openid', ...input.allowedScopes.filter((s) => s !== 'openid')].join(' ')
  return metadata
}
