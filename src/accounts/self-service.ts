/*
 * What a resident does for themselves: register with an SMS-verified phone, sign in with an SMS
 * code, reset a forgotten password by SMS, change the password, download their data, close the
 * account. Every step validates all input before it writes anything; an SMS code is spent only
 * once the rest of the input is known to be acceptable.
 */
import type { AppError } from '../shared/errors.js'
import { AccountError } from './errors.js'
import type { NewPerson, Person, Persons, SignInContext } from './persons.js'
import { parsePhone } from './phone.js'

export type SmsPurpose = 'register' | 'login' | 'reset'

export interface SelfServiceDeps {
  persons: Persons
  sms: {
    sendCode(phone: string, purpose: SmsPurpose, ip: string, options?: { deliver?: boolean }): Promise<void>
    verifyCode(phone: string, purpose: SmsPurpose, code: string): Promise<boolean>
  }
  /** Ends every OneDoor session of the person and revokes every grant (with back-channel logout where wired). */
  endEverything(personId: string): Promise<{ sessionsEnded: number; grantsRevoked: number }>
  /**
   * Erasure in other modules when an account closes (TOTP secrets, recovery codes, mandates…),
   * run after sessions end and before the person row is anonymised.
   */
  closureHooks?: Array<(personId: string) => Promise<void>>
  /** Other domains' data about the person (second factor, real-name evidence, mandates) for "download my data". */
  exportSections?: Array<(personId: string) => Promise<Record<string, unknown>>>
  /** What the person has shared with which portal, for the data download. */
  describeSharing(personId: string): Promise<unknown>
  now?: () => number
}

export interface PersonDataExport {
  exportedAt: string
  person: { id: string; name: string; documentType: string; documentNumberMasked: string; phone: string; phoneVerified: boolean; assuranceLevel: number; createdAt: string }
  sharing: unknown
  note: string
  [section: string]: unknown
}

export type SelfService = ReturnType<typeof createSelfService>

export function createSelfService(deps: SelfServiceDeps) {
  const { persons } = deps
  const now = deps.now ?? Date.now
  return { sendCode, register, signInWithSmsCode, resetPassword, changePassword, exportData, closeAccount }

  /**
   * Sends a code for `purpose`. Sign-in and reset codes go only to registered phones, but the
   * caller shows the same answer either way, so the page does not say which numbers exist.
   */
  async function sendCode(phoneInput: string, purpose: SmsPurpose, ip: string): Promise<void> {
    const phone = parsePhone(phoneInput ?? '')
    if (!phone.ok) throw AccountError.PHONE_INVALID()
    const deliver = purpose === 'register' || (await persons.findPersonByPhone(phone.value)) !== undefined
    await deps.sms.sendCode(phone.value, purpose, ip, { deliver })
  }

  /**
   * Registers after checking every field; the SMS code is checked last (spending it), and only
   * the phone's holder ever learns whether the number or document was already registered.
   */
  async function register(input: NewPerson & { smsCode: string; privacyAccepted: boolean }): Promise<{ person?: Person; problems: AppError[] }> {
    const checked = persons.validateNewPerson(input)
    const problems = [...checked.problems]
    if (!input.privacyAccepted) problems.push(AccountError.PRIVACY_NOT_ACCEPTED())
    if (!/^\d{6}$/.test((input.smsCode ?? '').trim())) problems.push(AccountError.SMS_CODE_INVALID())
    if (problems.length > 0) return { problems }
    if (!(await deps.sms.verifyCode(checked.phone, 'register', input.smsCode))) return { problems: [AccountError.SMS_CODE_INVALID()] }
    try {
      return { person: await persons.registerPerson(input, { phoneVerified: true }), problems: [] }
    } catch (err) {
      if ((err as AppError).code === 'ACCOUNT_ALREADY_EXISTS') return { problems: [err as AppError] }
      throw err
    }
  }

  /** 短信验证码登录: throttled and counted like password sign-in, with the same answers. */
  async function signInWithSmsCode(phoneInput: string, code: string, context: SignInContext = {}): Promise<Person | undefined> {
    const phone = parsePhone(phoneInput ?? '')
    const subject = persons.signInSubject(phoneInput ?? '')
    if (await persons.isSignInThrottled(subject, context)) throw AccountError.SIGN_IN_THROTTLED()
    const person = phone.ok ? await persons.findPersonByPhone(phone.value) : undefined
    const valid = phone.ok && (await deps.sms.verifyCode(phone.value, 'login', code ?? ''))
    if (!person || !valid) {
      await persons.recordSignInFailure(subject, context)
      return undefined
    }
    // A code received on the phone proves the phone, whatever way the account was created.
    if (!person.phoneVerified) await persons.markPhoneVerified(person.id)
    return { ...person, phoneVerified: true }
  }

  /**
   * Sets a new password for the holder of the phone. The new password is checked before the code
   * is spent; afterwards every session and grant ends (whoever knew the old password is out) and
   * the failed-sign-in counters of the person's identifiers start again.
   */
  async function resetPassword(phoneInput: string, code: string, password: string, context: SignInContext = {}): Promise<{ problems: AppError[] }> {
    const phone = parsePhone(phoneInput ?? '')
    if (!phone.ok) return { problems: [AccountError.PHONE_INVALID()] }
    const person = await persons.findPersonByPhone(phone.value)
    if (!person) {
      // The same answer as a wrong code: the page does not reveal whether the phone is registered.
      await persons.recordSignInFailure(persons.signInSubject(phone.value), context)
      return { problems: [AccountError.SMS_CODE_INVALID()] }
    }
    const problems = await persons.checkNewPassword(person.id, password)
    if (problems.length > 0) return { problems }
    if (!(await deps.sms.verifyCode(phone.value, 'reset', code ?? ''))) {
      await persons.recordSignInFailure(persons.signInSubject(phone.value), context)
      return { problems: [AccountError.SMS_CODE_INVALID()] }
    }
    await persons.setPassword(person.id, password)
    if (!person.phoneVerified) await persons.markPhoneVerified(person.id)
    await deps.endEverything(person.id)
    await persons.clearSignInFailures(person.id)
    return { problems: [] }
  }

  async function changePassword(personId: string, current: string, next: string): Promise<{ problems: AppError[] }> {
    if (!(await persons.verifyPassword(personId, current))) return { problems: [AccountError.PASSWORD_WRONG()] }
    const problems = await persons.checkNewPassword(personId, next)
    if (problems.length > 0) return { problems }
    await persons.setPassword(personId, next)
    return { problems: [] }
  }

  /** The person's own data as JSON (PIPL art. 45). The document number stays masked in the file. */
  async function exportData(personId: string): Promise<PersonDataExport> {
    const person = await persons.findPerson(personId)
    if (!person) throw AccountError.NOT_FOUND()
    return {
      exportedAt: new Date(now()).toISOString(),
      person: {
        id: person.id,
        name: person.name,
        documentType: person.documentType,
        documentNumberMasked: person.idNumberMasked,
        phone: person.phone,
        phoneVerified: person.phoneVerified,
        assuranceLevel: person.assuranceLevel,
        createdAt: new Date(person.createdAt).toISOString(),
      },
      sharing: await deps.describeSharing(personId),
      ...Object.assign({}, ...(await Promise.all((deps.exportSections ?? []).map((section) => section(personId))))),
      note: 'The full document number is not included in downloads; it is shown at a service counter on request.',
    }
  }

  /**
   * Closes the account: the password is checked, every session and grant ends, then the personal
   * data is erased and a closure record kept (one transaction). Nothing is erased when the
   * password is wrong.
   */
  async function closeAccount(personId: string, password: string, ip?: string): Promise<{ problems: AppError[] }> {
    if (!(await persons.verifyPassword(personId, password))) return { problems: [AccountError.PASSWORD_WRONG()] }
    const ended = await deps.endEverything(personId)
    for (const hook of deps.closureHooks ?? []) await hook(personId)
    await persons.closePerson(personId, { ...ended, ip })
    return { problems: [] }
  }
}
