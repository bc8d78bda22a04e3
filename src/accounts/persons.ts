/*
 * Natural persons: registration and password sign-in. ID numbers are sealed at rest and
 * found through a keyed blind index; they never appear in sub, logs, URLs or error messages.
 * Other identity documents (permits, passports) are stored the same way with their type.
 * Failed sign-ins are counted per identifier and per IP in shared counters; an identifier that
 * matches no account is counted and throttled exactly like one that does.
 */
import { blindIndex, open, seal } from '../shared/crypto.js'
import { newId } from '../shared/ids.js'
import type { PersonRow, PersonStore } from '../store/persons.js'
import type { ReadWith } from '../store/read-along.js'
import type { AppError } from '../shared/errors.js'
import type { Transaction } from '../shared/transaction.js'
import { isDocumentType, maskDocument, parseDocument, type DocumentType } from './documents.js'
import { AccountError } from './errors.js'
import { parseIdNumber } from './id-number.js'
import { checkPassword, PASSWORD_POLICIES, personContextWords, type PasswordPolicy, type PasswordRole } from './password-policy.js'
import type { PasswordHasher } from './passwords.js'
import { parsePhone } from './phone.js'
import type { RateLimiter } from './rate-limiter.js'

export interface PersonsDeps {
  store: PersonStore
  passwords: PasswordHasher
  piiEncryptionKey: Buffer
  piiBlindIndexKey: Buffer
  /** Failed sign-in limits (absent in the CLI, which signs nobody in). */
  signInLimits?: { perAccount: RateLimiter; perIp: RateLimiter }
  /** Password policy for residents; PASSWORD_POLICIES.person unless given. */
  passwordPolicy?: PasswordPolicy
  now?: () => number
}

export interface NewPerson {
  name: string
  /** The document number (a resident ID number unless documentType says otherwise). */
  idNumber: string
  phone: string
  password: string
  documentType?: DocumentType | string
  /** ISO 3166-1 alpha-3 issuing country, passports only. */
  documentCountry?: string
}

/** Where a sign-in attempt comes from; the IP has a failure allowance of its own. */
export interface SignInContext {
  ip?: string
}

export interface Person {
  id: string
  name: string
  idNumberMasked: string
  phone: string
  assuranceLevel: number
  createdAt: number
  documentType: DocumentType
  phoneVerified: boolean
  /** When the person last signed out everywhere (epoch ms), if ever: see shared/sessions-cutoff.ts. */
  sessionsNotBefore: number | null
}

export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MAX_LENGTH = 128

export function createPersons(deps: PersonsDeps) {
  const now = deps.now ?? Date.now
  const policy = deps.passwordPolicy ?? PASSWORD_POLICIES.person
  return {
    registerPerson,
    authenticateWithPassword,
    findPerson,
    findPersonByPhone,
    revealIdNumber,
    validateNewPerson,
    checkNewPassword,
    verifyPassword,
    setPassword,
    preparePassword,
    passwordStatus,
    closePerson,
    recordSignInFailure,
    isSignInThrottled,
    signInSubject,
    clearSignInFailures,
    markPhoneVerified: (personId: string) => deps.store.markPhoneVerified(personId, now()),
    passwordPolicy: policy,
  }

  /** Checks every field and returns all problems at once (CLI and pages show them together). */
  function validateNewPerson(input: NewPerson) {
    const problems: AppError[] = []
    const name = input.name?.trim() ?? ''
    if (name.length < 1 || name.length > 100 || /[\u0000-\u001f<>]/.test(name)) problems.push(AccountError.NAME_INVALID())
    const type = input.documentType ?? 'resident_id'
    let documentNumber = ''
    let indexPurpose = 'id-number'
    if (!isDocumentType(type)) {
      problems.push(AccountError.DOCUMENT_TYPE_INVALID())
    } else {
      const document = parseDocument(type, input.idNumber ?? '', input.documentCountry)
      if (!document.ok) {
        problems.push(type === 'resident_id' ? AccountError.ID_NUMBER_INVALID({ problem: document.problem }) : AccountError.DOCUMENT_INVALID({ problem: document.problem }))
      } else {
        documentNumber = document.value.number
        indexPurpose = document.value.indexPurpose
      }
    }
    const phone = parsePhone(input.phone ?? '')
    if (!phone.ok) problems.push(AccountError.PHONE_INVALID())
    problems.push(...checkPassword(policy, input.password ?? '', personContextWords({ name, phone: phone.ok ? phone.value : input.phone, documentNumber: documentNumber || input.idNumber })))
    return {
      problems,
      name,
      documentType: (isDocumentType(type) ? type : 'resident_id') as DocumentType,
      idNumber: documentNumber,
      indexPurpose,
      phone: phone.ok ? phone.value : '',
    }
  }

  /** Problems with a new password for an existing person (change, reset); `against` defaults to the resident policy. */
  async function checkNewPassword(personId: string, password: string, against: PasswordPolicy = policy): Promise<AppError[]> {
    return checkPassword(against, password, await contextOf(personId))
  }

  async function contextOf(personId: string): Promise<string[]> {
    const row = await deps.store.findById(personId)
    const documentNumber = row && row.closedAt === null ? open(deps.piiEncryptionKey, row.idNumberSealed, `id-number:${row.id}`) : undefined
    return personContextWords({ name: row?.name, phone: row?.phone, documentNumber })
  }

  /**
   * The strictest policy a password meets, recorded with it: the administrator console accepts
   * only a password that met the administrators' policy (a weaker one set in the account centre
   * must be changed there first).
   */
  function policyMet(password: string, context: readonly string[]): PasswordRole {
    return checkPassword(PASSWORD_POLICIES.admin, password, context).length === 0 ? 'admin' : 'person'
  }

  /** When the password was last set (null: unknown, e.g. imported) and the strictest policy it met. */
  async function passwordStatus(personId: string): Promise<{ changedAt: number | null; policy: PasswordRole } | undefined> {
    const row = await deps.store.findById(personId)
    if (!row) return undefined
    return { changedAt: row.passwordChangedAt ?? null, policy: row.passwordPolicy === 'admin' ? 'admin' : 'person' }
  }

  async function registerPerson(input: NewPerson, options: { phoneVerified?: boolean } = {}): Promise<Person> {
    const checked = validateNewPerson(input)
    if (checked.problems.length > 0) throw checked.problems[0]
    const id = newId()
    const at = now()
    const row: PersonRow = {
      id,
      name: checked.name,
      idNumberSealed: seal(deps.piiEncryptionKey, checked.idNumber, `id-number:${id}`),
      idNumberIndex: blindIndex(deps.piiBlindIndexKey, checked.idNumber, checked.indexPurpose),
      idNumberMasked: maskDocument(checked.idNumber),
      phone: checked.phone,
      passwordHash: await deps.passwords.hash(input.password),
      passwordChangedAt: at,
      passwordPolicy: policyMet(input.password, personContextWords({ name: checked.name, phone: checked.phone, documentNumber: checked.idNumber })),
      assuranceLevel: 1,
      createdAt: at,
      updatedAt: at,
      disabledAt: null,
      documentType: checked.documentType,
      phoneVerifiedAt: options.phoneVerified ? at : null,
      closedAt: null,
    }
    if (!(await deps.store.insert(row))) throw AccountError.ALREADY_EXISTS()
    return toPerson(row)
  }

  /**
   * Looks the person up by ID number or mobile number and checks the password. Unknown
   * account, disabled account and wrong password all return undefined after one argon2
   * verification, so neither the answer nor its timing tells them apart.
   */
  async function authenticateWithPassword(identifier: string, password: string, context: SignInContext = {}): Promise<Person | undefined> {
    const subject = signInSubject(identifier ?? '')
    // Counted before the password is checked: checked first, a burst of parallel guesses all
    // passed the throttle before any of them was counted as a failure.
    const attempt = await reserveSignInAttempt(subject, context)
    if (attempt.throttled) {
      await attempt.release()
      // Same work as a real check, so a throttled answer is not faster than a wrong password.
      await deps.passwords.verifyNothing(password ?? '')
      throw AccountError.SIGN_IN_THROTTLED()
    }
    const row = await findRowByIdentifier(identifier ?? '')
    if (!row || row.disabledAt !== null || !row.passwordHash) {
      await deps.passwords.verifyNothing(password ?? '')
      return undefined
    }
    if (!(await deps.passwords.verify(row.passwordHash, password ?? ''))) return undefined
    // A sign-in that succeeds clears the account's failures (its own count with them) and gives
    // back its count against the IP.
    await attempt.succeeded()
    if (deps.passwords.needsRehash(row.passwordHash)) {
      await deps.store.updatePasswordHash(row.id, await deps.passwords.hash(password))
    }
    return toPerson(row)
  }

  /**
   * The throttling subject for an identifier: the phone, or the blind index of a document
   * number, or (for anything else) the normalised text, so unknown identifiers are counted too.
   */
  function signInSubject(identifier: string): string {
    const phone = parsePhone(identifier)
    if (phone.ok) return `phone:${phone.value}`
    const idNumber = parseIdNumber(identifier)
    if (idNumber.ok) return `document:${indexOf(idNumber.value)}`
    return `other:${identifier.trim().toUpperCase()}`
  }

  /**
   * After a proven reset (SMS) or an administrator's unlock, the person's identifiers start with
   * a clean failure count; inside the caller's `tx` when given (the unlock and its audit record).
   */
  async function clearSignInFailures(personId: string, tx?: Transaction): Promise<void> {
    const row = await deps.store.findById(personId, tx)
    if (!row || !deps.signInLimits) return
    await deps.signInLimits.perAccount.reset(`phone:${row.phone}`, tx)
    if (row.closedAt === null && row.documentType !== 'passport') {
      await deps.signInLimits.perAccount.reset(signInSubject(open(deps.piiEncryptionKey, row.idNumberSealed, `id-number:${row.id}`)), tx)
    }
  }

  /** Whether sign-in is throttled for this subject or IP (the SMS sign-in asks before checking its code). */
  async function isSignInThrottled(subject: string, context: SignInContext = {}): Promise<boolean> {
    const limits = deps.signInLimits
    if (!limits) return false
    if (await limits.perAccount.isBlocked(subject)) return true
    return context.ip !== undefined && (await limits.perIp.isBlocked(context.ip))
  }

  async function recordSignInFailure(subject: string, context: SignInContext = {}): Promise<void> {
    const limits = deps.signInLimits
    if (!limits) return
    await limits.perAccount.hit(subject)
    if (context.ip !== undefined) await limits.perIp.hit(context.ip)
  }

  /**
   * Counts a password attempt against the subject and the IP before it is checked. It stays
   * counted as a failure unless `succeeded` (or, for a refused attempt, `release`) takes it back.
   */
  async function reserveSignInAttempt(subject: string, context: SignInContext): Promise<{ throttled: boolean; release: () => Promise<void>; succeeded: () => Promise<void> }> {
    const limits = deps.signInLimits
    if (!limits) return { throttled: false, release: async () => {}, succeeded: async () => {} }
    // Side by side, so that on SQLite both writes share one group commit.
    const [perAccount, perIp] = await Promise.all([limits.perAccount.reserve(subject), context.ip !== undefined ? limits.perIp.reserve(context.ip) : undefined])
    return {
      throttled: perAccount.over || (perIp?.over ?? false),
      release: async () => {
        await Promise.all([perAccount.release(), perIp?.release()])
      },
      succeeded: async () => {
        await Promise.all([limits.perAccount.reset(subject), perIp?.release()])
      },
    }
  }

  /** Checks a person's current password (password change, account closure). */
  async function verifyPassword(personId: string, password: string): Promise<boolean> {
    const row = await deps.store.findById(personId)
    if (!row || row.disabledAt !== null || !row.passwordHash) {
      await deps.passwords.verifyNothing(password ?? '')
      return false
    }
    return deps.passwords.verify(row.passwordHash, password ?? '')
  }

  /** Sets a new password after checking it against the policy; throws the first problem. */
  async function setPassword(personId: string, password: string, options: { policy?: PasswordPolicy } = {}): Promise<void> {
    const prepared = await preparePassword(personId, password, options)
    if (prepared.problems.length > 0) throw prepared.problems[0]
    await prepared.apply()
  }

  /**
   * Checks and hashes a new password (the slow part, outside any transaction) and returns the
   * write, which the caller may run inside its own transaction (the administration commits it
   * with its audit record).
   */
  async function preparePassword(personId: string, password: string, options: { policy?: PasswordPolicy } = {}): Promise<{ problems: AppError[]; apply: (tx?: Transaction) => Promise<void> }> {
    const context = await contextOf(personId)
    const problems = checkPassword(options.policy ?? policy, password, context)
    if (problems.length > 0) return { problems, apply: async () => { throw problems[0] } }
    const hash = await deps.passwords.hash(password)
    const change = { at: now(), policy: policyMet(password, context) }
    return { problems, apply: (tx) => deps.store.updatePasswordHash(personId, hash, change, tx) }
  }

  async function findPersonByPhone(phone: string): Promise<Person | undefined> {
    const parsed = parsePhone(phone ?? '')
    if (!parsed.ok) return undefined
    const row = await deps.store.findByPhone(parsed.value)
    return row && row.disabledAt === null ? toPerson(row) : undefined
  }

  /**
   * Erases the personal data of the account and writes the closure record (one transaction).
   * Sessions and grants are ended by the caller first; their counts go into the record.
   */
  async function closePerson(personId: string, summary: { grantsRevoked: number; sessionsEnded: number; ip?: string }): Promise<boolean> {
    const row = await deps.store.findById(personId)
    if (!row || row.closedAt !== null) return false
    return deps.store.close({
      id: newId(),
      personId,
      documentMasked: row.idNumberMasked,
      grantsRevoked: summary.grantsRevoked,
      sessionsEnded: summary.sessionsEnded,
      ip: summary.ip ?? null,
      closedAt: now(),
    })
  }

  async function findRowByIdentifier(identifier: string): Promise<PersonRow | undefined> {
    const phone = parsePhone(identifier)
    if (phone.ok) return deps.store.findByPhone(phone.value)
    const idNumber = parseIdNumber(identifier)
    if (idNumber.ok) return deps.store.findByIdNumberIndex(indexOf(idNumber.value))
    return undefined
  }

  /** An enabled person; `readWith`: the token this is asked for (its lookup may have read the row already). */
  async function findPerson(id: string, readWith?: ReadWith): Promise<Person | undefined> {
    const row = await deps.store.findByIdReadWith(id, readWith)
    return row && row.disabledAt === null ? toPerson(row) : undefined
  }

  /** The full ID number; callers must be entitled to it (a client approved for the id_number claim). */
  async function revealIdNumber(id: string): Promise<string | undefined> {
    const row = await deps.store.findById(id)
    return row && row.closedAt === null ? open(deps.piiEncryptionKey, row.idNumberSealed, `id-number:${row.id}`) : undefined
  }

  function indexOf(idNumber: string): string {
    return blindIndex(deps.piiBlindIndexKey, idNumber, 'id-number')
  }
}

function toPerson(row: PersonRow): Person {
  return {
    id: row.id,
    name: row.name,
    idNumberMasked: row.idNumberMasked,
    phone: row.phone,
    assuranceLevel: row.assuranceLevel,
    createdAt: row.createdAt,
    documentType: (isDocumentType(row.documentType) ? row.documentType : 'resident_id') as DocumentType,
    phoneVerified: row.phoneVerifiedAt !== null,
    sessionsNotBefore: row.sessionsNotBefore ?? null,
  }
}

export type Persons = ReturnType<typeof createPersons>
