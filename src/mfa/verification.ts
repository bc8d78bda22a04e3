/*
 * Sign-in time verification of a TOTP code or a recovery code. Each accepted time step is
 * single-use (a code read over a shoulder cannot be replayed within its 30 s window); at most
 * `maxAttempts` wrong codes per sign-in, then the sign-in must restart. A per-person hourly cap
 * stops restarting sign-ins from becoming an unlimited guessing loop. Each attempt is counted
 * before its code is checked and taken back if it was not a wrong code: checking first let a
 * burst of parallel guesses all pass the limit before any of them was counted.
 */
import { open } from '../shared/crypto.js'
import { storedAad } from './enrolment.js'
import { MfaError } from './errors.js'
import { hashRecoveryCode, normaliseRecoveryCode } from './recovery-codes.js'
import { matchTotpStep } from './totp.js'
import type { MfaKeys, MfaStore, TotpSettings } from './types.js'

export interface VerificationDeps {
  store: Pick<MfaStore, 'findTotp' | 'markUsedStep' | 'consumeRecoveryCode' | 'recordFailure' | 'forgiveFailure' | 'countFailures'>
  keys: MfaKeys
  settings: TotpSettings
  now?: () => number
  onEvent?: (event: { type: 'mfa.totp.verified' | 'mfa.recovery_code.used' | 'mfa.totp.verification_failed'; personId: string }) => void
}

const SIGN_IN_TTL_MS = 2 * 60 * 60 * 1000
const HOUR_MS = 60 * 60 * 1000

export type Verification = ReturnType<typeof createVerification>

export function createVerification(deps: VerificationDeps) {
  const now = deps.now ?? Date.now
  const personCap = deps.settings.maxAttempts * 4
  return { verifyForLogin, attemptsLeft }

  /** Wrong codes still allowed in this sign-in (0 = it must restart). */
  async function attemptsLeft(personId: string, signInId: string): Promise<number> {
    const at = now()
    const [inSignIn, inHour] = await Promise.all([deps.store.countFailures(signInKey(personId, signInId), at), deps.store.countFailures(personKey(personId), at)])
    return Math.max(0, Math.min(deps.settings.maxAttempts - inSignIn, personCap - inHour))
  }

  /** Accepts a TOTP code or a recovery code; returns which one. `signInId` identifies this sign-in (interaction cid). */
  async function verifyForLogin(personId: string, code: string, signInId: string): Promise<'totp' | 'recovery_code'> {
    const credential = await deps.store.findTotp(personId)
    if (!credential) throw MfaError.NOT_ENROLLED()
    const keys = [signInKey(personId, signInId), personKey(personId)]
    const at = now()
    const [inSignIn, inHour] = [await deps.store.recordFailure(keys[0], at, SIGN_IN_TTL_MS), await deps.store.recordFailure(keys[1], at, HOUR_MS)]
    // Counted, not yet checked: over either limit, this attempt checks nothing and is taken back.
    if (inSignIn > deps.settings.maxAttempts || inHour > personCap) {
      await forgive(keys)
      throw MfaError.TOO_MANY_ATTEMPTS()
    }
    const method = await acceptedCode(personId, credential.secretSealed, code, at)
    if (method) {
      await forgive(keys)
      deps.onEvent?.({ type: method === 'totp' ? 'mfa.totp.verified' : 'mfa.recovery_code.used', personId })
      return method
    }
    deps.onEvent?.({ type: 'mfa.totp.verification_failed', personId })
    if (inSignIn >= deps.settings.maxAttempts || inHour >= personCap) throw MfaError.TOO_MANY_ATTEMPTS()
    throw MfaError.CODE_INVALID({ attemptsLeft: Math.min(deps.settings.maxAttempts - inSignIn, personCap - inHour) })
  }

  /** Which kind of code `code` is, if it is an unused one of this person's; uses it up. */
  async function acceptedCode(personId: string, secretSealed: string, code: string, at: number): Promise<'totp' | 'recovery_code' | undefined> {
    const secret = open(deps.keys.sealKey, secretSealed, storedAad(personId))
    const step = matchTotpStep(secret, code, at, deps.settings.window)
    // markUsedStep is false when the step was already consumed: a replay counts as a wrong code.
    if (step !== undefined) return (await deps.store.markUsedStep(personId, step, at)) ? 'totp' : undefined
    if (normaliseRecoveryCode(code) === undefined) return undefined
    return (await deps.store.consumeRecoveryCode(personId, hashRecoveryCode(deps.keys.hashKey, personId, code), at)) ? 'recovery_code' : undefined
  }

  async function forgive(keys: string[]): Promise<void> {
    for (const key of keys) await deps.store.forgiveFailure(key)
  }
}

function signInKey(personId: string, signInId: string): string {
  return `s:${personId}:${signInId}`.slice(0, 64)
}

function personKey(personId: string): string {
  return `p:${personId}`
}
