/*
 * Natural persons: registration and password sign-in. ID numbers are sealed at rest and
 * found through a keyed blind index; they never appear in sub, logs, URLs or error messages.
 */
import { blindIndex, open, seal } from '../shared/crypto.js'
import { newId } from '../shared/ids.js'
import type { PersonRow, PersonStore } from '../store/persons.js'
import { AccountError } from './errors.js'
import { maskIdNumber, parseIdNumber } from './id-number.js'
import type { PasswordHasher } from './passwords.js'
import { parsePhone } from './phone.js'

export interface PersonsDeps {
  store: PersonStore
  passwords: PasswordHasher
  piiEncryptionKey: Buffer
  piiBlindIndexKey: Buffer
  now?: () => number
}

export interface NewPerson {
  name: string
  idNumber: string
  phone: string
  password: string
}

export interface Person {
  id: string
  name: string
  idNumberMasked: string
  phone: string
  assuranceLevel: number
  createdAt: number
}

export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MAX_LENGTH = 128

export function createPersons(deps: PersonsDeps) {
  const now = deps.now ?? Date.now
  return { registerPerson, authenticateWithPassword, findPerson, revealIdNumber, validateNewPerson }

  /** Checks every field and returns all problems at once (CLI and pages show them together). */
  function validateNewPerson(input: NewPerson) {
    const problems = []
    const name = input.name?.trim() ?? ''
    if (name.length < 1 || name.length > 100) problems.push(AccountError.NAME_INVALID())
    const idNumber = parseIdNumber(input.idNumber ?? '')
    if (!idNumber.ok) problems.push(AccountError.ID_NUMBER_INVALID({ problem: idNumber.problem }))
    const phone = parsePhone(input.phone ?? '')
    if (!phone.ok) problems.push(AccountError.PHONE_INVALID())
    const length = [...(input.password ?? '').normalize('NFKC')].length
    if (length < PASSWORD_MIN_LENGTH) problems.push(AccountError.PASSWORD_TOO_SHORT())
    if (length > PASSWORD_MAX_LENGTH) problems.push(AccountError.PASSWORD_TOO_LONG())
    return { problems, name, idNumber: idNumber.ok ? idNumber.value : '', phone: phone.ok ? phone.value : '' }
  }

  async function registerPerson(input: NewPerson): Promise<Person> {
    const checked = validateNewPerson(input)
    if (checked.problems.length > 0) throw checked.problems[0]
    const id = newId()
    const at = now()
    const row: PersonRow = {
      id,
      name: checked.name,
      idNumberSealed: seal(deps.piiEncryptionKey, checked.idNumber, `id-number:${id}`),
      idNumberIndex: indexOf(checked.idNumber),
      idNumberMasked: maskIdNumber(checked.idNumber),
      phone: checked.phone,
      passwordHash: await deps.passwords.hash(input.password),
      assuranceLevel: 1,
      createdAt: at,
      updatedAt: at,
      disabledAt: null,
    }
    if (!(await deps.store.insert(row))) throw AccountError.ALREADY_EXISTS()
    return toPerson(row)
  }

  /**
   * Looks the person up by ID number or mobile number and checks the password. Unknown
   * account, disabled account and wrong password all return undefined after one argon2
   * verification, so neither the answer nor its timing tells them apart.
   */
  async function authenticateWithPassword(identifier: string, password: string): Promise<Person | undefined> {
    const row = await findRowByIdentifier(identifier ?? '')
    if (!row || row.disabledAt !== null) {
      await deps.passwords.verifyNothing(password ?? '')
      return undefined
    }
    if (!(await deps.passwords.verify(row.passwordHash, password ?? ''))) return undefined
    if (deps.passwords.needsRehash(row.passwordHash)) {
      await deps.store.updatePasswordHash(row.id, await deps.passwords.hash(password))
    }
    return toPerson(row)
  }

  async function findRowByIdentifier(identifier: string): Promise<PersonRow | undefined> {
    const phone = parsePhone(identifier)
    if (phone.ok) return deps.store.findByPhone(phone.value)
    const idNumber = parseIdNumber(identifier)
    if (idNumber.ok) return deps.store.findByIdNumberIndex(indexOf(idNumber.value))
    return undefined
  }

  async function findPerson(id: string): Promise<Person | undefined> {
    const row = await deps.store.findById(id)
    return row && row.disabledAt === null ? toPerson(row) : undefined
  }

  /** The full ID number; callers must be entitled to it (a client approved for the id_number claim). */
  async function revealIdNumber(id: string): Promise<string | undefined> {
    const row = await deps.store.findById(id)
    return row ? open(deps.piiEncryptionKey, row.idNumberSealed, `id-number:${row.id}`) : undefined
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
  }
}

export type Persons = ReturnType<typeof createPersons>
