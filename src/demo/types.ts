/* The demo portal host's shapes. */
import type { IDToken } from 'openid-client'

/** One federated system as the demo host serves it, at /portals/<key>/. */
export interface DemoPortal {
  key: string
  clientId: string
  clientSecret: string
  name: string
  divisionCode: string
  /** e.g. "黑龙江省 › 哈尔滨市 › 道里区" */
  divisionPath: string
  /** Division code of the group it is listed under on the index (prefecture, or the province). */
  groupCode: string
  /** The scopes the system is approved for (it asks for exactly these). */
  scopes: string[]
}

export interface PortalSession {
  browserId: string
  portalKey: string
  sub: string
  sid?: string
  claims: IDToken
  userinfo?: Record<string, unknown>
  idToken: string
  signedInAt: number
}

/** A back-channel logout token the host accepted. */
export interface ReceivedLogout {
  portalKey: string
  at: number
  sub?: string
  sid?: string
  /** Local sessions it ended. */
  ended: number
  header: Record<string, unknown>
  claims: Record<string, unknown>
}
