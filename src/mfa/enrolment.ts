/*
 * TOTP enrolment: start() makes a secret and shows it (QR code rendered here, on the server);
 * confirm() accepts it only with a first valid code, then issues the recovery codes (shown once).
 * The pending secret travels sealed in the page, bound to the person and the sign-in, so nothing
 * half-enrolled is ever stored.
 */
import QRCode from 'qrcode'
import { open, seal } from '../shared/crypto.js'
import type { Transaction } from '../shared/transaction.js'
import { MfaError } from './errors.js'
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.js'
import { matchTotpStep, newTotpSecret, totpUri } from './totp.js'
import type { MfaKeys, MfaStore, PendingEnrolment, TotpSettings } from './types.js'

export interface EnrolmentDeps {
  store: Pick<MfaStore, 'saveTotp' | 'findTotp' | 'replaceRecoveryCodes' | 'removeTotp' | 'countUnusedRecoveryCodes'>
  keys: MfaKeys
  settings: TotpSettings
  recoveryCodeCount: number
  now?: () => number
}

export type Enrolment = ReturnType<typeof createEnrolment>

export function createEnrolment(deps: EnrolmentDeps) {
  const now = deps.now ?? Date.now
  return { start, resume, confirm, isEnrolled, status, regenerateRecoveryCodes, remove, reset }

  async function isEnrolled(personId: string): Promise<boolean> {
    return (await deps.store.findTotp(personId)) !== undefined
  }

  /** Whether an authenticator is set up, since when, and how many recovery codes are left. */
  async function status(personId: string): Promise<{ enrolled: false } | { enrolled: true; confirmedAt: number; recoveryCodesLeft: number }> {
    const credential = await deps.store.findTotp(personId)
    if (!credential) return { enrolled: false }
    return { enrolled: true, confirmedAt: credential.confirmedAt, recoveryCodesLeft: await deps.store.countUnusedRecoveryCodes(personId) }
  }

  /** New recovery codes (the caller has just verified a code); returned once, stored hashed. */
  async function regenerateRecoveryCodes(personId: string): Promise<string[]> {
    const codes = newRecoveryCodes(deps.recoveryCodeCount)
    await deps.store.replaceRecoveryCodes(personId, codes.map((c) => hashRecoveryCode(deps.keys.hashKey, personId, c)), now())
    return codes
  }

  /** Removes the authenticator (the caller has just verified a code). */
  async function remove(personId: string): Promise<void> {
    await deps.store.removeTotp(personId)
  }

  /**
   * An administrator's reset (lost phone): the authenticator and recovery codes go without a
   * code from the person, inside the caller's transaction (committed with its audit record).
   * Returns whether one was enrolled; the person enrols again at the next level-3 sign-in.
   */
  async function reset(personId: string, tx?: Transaction): Promise<boolean> {
    return deps.store.removeTotp(personId, tx)
  }

  /** `context` binds the sealed secret to one page (the interaction uid), `label` names the account in the app. */
  async function start(personId: string, label: string, context: string): Promise<PendingEnrolment> {
    const secret = newTotpSecret()
    const uri = totpUri(secret, deps.settings.issuer, label)
    const qrSvg = await QRCode.toString(uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' })
    return { sealed: seal(deps.keys.sealKey, secret, pendingAad(personId, context)), uri, qrSvg, manualKey: secret.replace(/(.{4})/g, '$1 ').trim() }
  }

  /** The same pending enrolment again (after a wrong first code: the person need not scan again). */
  async function resume(personId: string, sealed: string, context: string, label: string): Promise<PendingEnrolment | undefined> {
    let secret: string
    try {
      secret = open(deps.keys.sealKey, sealed, pendingAad(personId, context))
    } catch {
      return undefined
    }
    const uri = totpUri(secret, deps.settings.issuer, label)
    const qrSvg = await QRCode.toString(uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' })
    return { sealed, uri, qrSvg, manualKey: secret.replace(/(.{4})/g, '$1 ').trim() }
  }

  /** Confirms with the first code; returns the recovery codes, which are never shown again. */
  async function confirm(personId: string, sealed: string, context: string, code: string): Promise<string[]> {
    let secret: string
    try {
      secret = open(deps.keys.sealKey, sealed, pendingAad(personId, context))
    } catch (err) {
      throw MfaError.ENROLMENT_INVALID(undefined, err)
    }
    const at = now()
    const step = matchTotpStep(secret, code, at, deps.settings.window)
    if (step === undefined) throw MfaError.CODE_INVALID()
    const codes = newRecoveryCodes(deps.recoveryCodeCount)
    await deps.store.saveTotp(
      { personId, secretSealed: seal(deps.keys.sealKey, secret, storedAad(personId)), confirmedAt: at },
      codes.map((c) => hashRecoveryCode(deps.keys.hashKey, personId, c)),
      step,
    )
    return codes
  }
}

function pendingAad(personId: string, context: string): string {
  return `totp-pending:${personId}:${context}`
}

export function storedAad(personId: string): string {
  return `totp-secret:${personId}`
}
