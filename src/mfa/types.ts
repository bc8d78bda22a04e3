import type { Transaction } from '../shared/transaction.js'

/** What the MFA domain needs from storage (implemented by src/store/mfa.ts). */
export interface MfaStore {
  findTotp(personId: string): Promise<{ personId: string; secretSealed: string; confirmedAt: number } | undefined>
  saveTotp(row: { personId: string; secretSealed: string; confirmedAt: number }, recoveryCodeHashes: string[], firstStep: number): Promise<void>
  replaceRecoveryCodes(personId: string, hashes: string[], at: number): Promise<void>
  /** Returns whether an authenticator was enrolled; inside `tx` when given. */
  removeTotp(personId: string, tx?: Transaction): Promise<boolean>
  markUsedStep(personId: string, step: number, at: number): Promise<boolean>
  consumeRecoveryCode(personId: string, codeHash: string, at: number): Promise<boolean>
  countUnusedRecoveryCodes(personId: string): Promise<number>
  recordFailure(key: string, at: number, ttlMs: number): Promise<number>
  /** Takes back one failure counted under `key` (an attempt counted before it was checked, that did not fail). */
  forgiveFailure(key: string): Promise<void>
  countFailures(key: string, at: number): Promise<number>
}

export interface TotpSettings {
  issuer: string
  /** Steps accepted either side of the current one (RFC 6238 §5.2 drift). */
  window: number
  /** Wrong codes per sign-in before it must restart. */
  maxAttempts: number
}

export interface MfaKeys {
  /** Seals TOTP secrets at rest (AES-256-GCM). */
  sealKey: Buffer
  /** Keys the recovery-code hashes (HMAC-SHA-256), so a database dump cannot be brute-forced offline. */
  hashKey: Buffer
}

/** A TOTP enrolment in progress: shown to the person, confirmed by a first code. */
export interface PendingEnrolment {
  /** The secret sealed for this person and context; carried in the page, opaque to the browser. */
  sealed: string
  /** otpauth:// URI and the same as a QR code (inline SVG), for the authenticator app. */
  uri: string
  qrSvg: string
  /** The secret in Base32 groups, for typing in by hand. */
  manualKey: string
}
