/*
 * Sign-in time verification of a TOTP code or a recovery code. Each accepted time step is
 * single-use (a code read over a shoulder cannot be replayed within its 30 s window); at most
 * `maxAttempts` wrong codes per sign-in, then the sign-in must restart. A per-person hourly cap
 * stops restarting sign-ins from becoming an unlimited guessing loop.
 */
import { open } from '../shared/crypto.js'
import { storedAad } from './enrolment.js'
import { MfaError } from './errors.js'
import { hashRecoveryCode, normaliseRecoveryCode } from './recovery-codes.js'
import { matchTotpStep } from './totp.js'
import type { MfaKeys, MfaStore, TotpSettings } from './types.js'

export interface VerificationDeps {
  store: Pick<MfaStore, 'findTotp' | 'markUsedStep' | 'consumeRecoveryCode' | 'recordFailure' | 'countFailures'>
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
    if ((await attemptsLeft(personId, signInId)) <= 0) throw MfaError.TOO_MANY_ATTEMPTS()
    const credential = await deps.store.findTotp(personId)
    if (!credential) throw MfaError.NOT_ENROLLED()
    const at = now()
    const secret = open(deps.keys.sealKey, credential.secretSealed, storedAad(personId))
    const step = matchTotpStep(secret, code, at, deps.settings.window)
    // markUsedStep is false when the step was already consumed: a replay counts as a wrong code.
    if (step !== undefined && (await deps.store.markUsedStep(personId, step, at))) {
      deps.onEvent?.({ type: 'mfa.totp.verified', personId })
      return 'totp'
    }
    if (step === undefined && normaliseRecoveryCode(code) !== undefined) {
      if (await deps.store.consumeRecoveryCode(personId, hashRecoveryCode(deps.keys.hashKey, personId, code), at)) {
        deps.onEvent?.({ type: 'mfa.recovery_code.used', personId })
        return 'recovery_code'
      }
    }
    const failures = await deps.store.recordFailure(signInKey(personId, signInId), at, SIGN_IN_TTL_MS)
    await deps.store.recordFailure(personKey(personId), at, HOUR_MS)
    deps.onEvent?.({ type: 'mfa.totp.verification_failed', personId })
    if (failures >= deps.settings.maxAttempts) throw MfaError.TOO_MANY_ATTEMPTS()
    throw MfaError.CODE_INVALID({ attemptsLeft: deps.settings.maxAttempts - failures })
  }
}

function signInKey(personId: string, signInId: string): string {
  return `s:${personId}:${signInId}`.slice(0, 64)
}

function personKey(personId: string): string {
  return `p:${personId}`
}
