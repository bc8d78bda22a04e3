/*
 * The fixed audit catalogue: every event type OneDoor records, named domain.entity.past_tense.
 * A type not listed here cannot be recorded (the compiler and record() both refuse it), so the
 * trail stays a closed vocabulary an auditor can read.
 */
export const AUDIT_EVENT_TYPES = [
  // Sign-in (the OneDoor session)
  'auth.login.succeeded',
  'auth.login.failed',
  'auth.mfa.succeeded',
  'auth.mfa.failed',
  'auth.stepup.requested',
  'auth.stepup.succeeded',
  'auth.stepup.failed',
  'auth.account.locked',
  // Protocol (oidc-provider events, mapped in src/oidc/events.ts)
  'oidc.token.issued',
  'oidc.authorization.accepted',
  'oidc.consent.granted',
  'oidc.grant.revoked',
  'oidc.session.ended',
  'oidc.logout.delivered',
  'oidc.logout.failed',
  'oidc.server.errored',
  // Administration
  'admin.admin.created',
  'admin.admin.disabled',
  'admin.session.started',
  'admin.session.ended',
  'admin.password.changed',
  'admin.access.denied',
  'admin.client.created',
  'admin.client.updated',
  'admin.client.suspended',
  'admin.client.activated',
  'admin.client.secret_rotated',
  'admin.person.viewed',
  'admin.person.searched',
  'admin.person.disabled',
  'admin.person.enabled',
  'admin.person.unlocked',
  'admin.person.mfa_reset',
  'admin.person.sessions_ended',
  'admin.person.verified',
  'admin.person.id_number_revealed',
  'admin.enterprise.viewed',
  'admin.enterprise.verified',
  'admin.enterprise.representative_changed',
  'admin.mandate.revoked',
  // The trail itself
  'audit.trail.exported',
  'audit.trail.verified',
  'audit.trail.archived',
] as const

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number]

const KNOWN_TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES)

export function isAuditEventType(value: string): value is AuditEventType {
  return KNOWN_TYPES.has(value)
}

export type ActorType = 'person' | 'admin' | 'client' | 'system' | 'anonymous'

/** What a caller hands to audit.record(); `details` is masked before it is stored. */
export interface AuditEvent {
  type: AuditEventType
  actor: { type: ActorType; id?: string | null; clientId?: string | null; ip?: string | null; userAgent?: string | null }
  divisionCode?: string | null
  target?: { type: string; id: string } | null
  result?: 'success' | 'failure'
  errorCode?: string | null
  details?: Record<string, unknown>
  /** Epoch ms; defaults to now. */
  at?: number
}

/** A stored record, as read back (export, verify, queries). */
export interface AuditRecord {
  seq: number
  id: string
  at: number
  type: string
  actorType: string
  actorId: string | null
  clientId: string | null
  ip: string | null
  userAgent: string | null
  divisionCode: string | null
  targetType: string | null
  targetId: string | null
  result: 'success' | 'failure'
  errorCode: string | null
  /** JSON text exactly as hashed. */
  details: string
  prevHash: string
  hash: string
}
