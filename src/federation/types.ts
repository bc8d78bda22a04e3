/* Types of the federation domain and the storage interfaces it needs (implemented in src/store/). */

export type DivisionLevel = 'province' | 'prefecture' | 'county'

export interface Division {
  code: string
  name: string
  en: string
  level: DivisionLevel
  parentCode: string | null
  /** Source wording: 'prefecture-level city', 'district', 'county', 'statistical-only', … */
  kind: string
  /** NBS statistical-only unit, not an MCA administrative division. */
  nonStandard: boolean
}

export interface DivisionCodeChange {
  oldCode: string
  newCode: string
  oldName: string
  year: number
}

export interface DivisionStore {
  listDivisions(): Promise<Division[]>
  listCodeChanges(): Promise<DivisionCodeChange[]>
}

export type ConsentPolicy = 'explicit' | 'implicit'
export type ClientStatus = 'onboarding' | 'active' | 'suspended'
export type ClientSource = 'manual' | 'manifest' | 'onboard'

/** Federation attributes of one service system, as stored beside its oidc-provider metadata. */
export interface ServiceSystem {
  clientId: string
  name: string
  divisionCode: string
  portalUrl: string
  redirectUris: string[]
  postLogoutRedirectUris: string[]
  backchannelLogoutUri?: string
  allowedScopes: string[]
  requiredAssuranceLevel: number
  consentPolicy: ConsentPolicy
  /** Pairwise sub sector; undefined = the system is its own sector. */
  sector?: string
  status: Exclude<ClientStatus, 'suspended'>
}

/** What the federation needs to register a system (the oidc layer's registration input, by shape). */
export interface SystemRegistrationInput {
  clientId: string
  name: string
  redirectUris: string[]
  postLogoutRedirectUris?: string[]
  backchannelLogoutUri?: string
  divisionCode: string
  allowedScopes: string[]
  pairwise: boolean
  sector?: string | null
  requiredAssuranceLevel: number
  consentPolicy: ConsentPolicy
  portalUrl: string | null
  status: 'onboarding' | 'active'
  source: ClientSource
}

export interface ClientFederationColumns {
  portalUrl: string | null
  sector: string | null
  requiredAssuranceLevel: number
  consentPolicy: ConsentPolicy
  source: ClientSource
}

/** A validated registration, not yet stored. */
export interface PreparedSystem {
  clientId: string
  clientSecret?: string
  name: string
  divisionCode: string | null
  metadata: Record<string, unknown>
  federation: ClientFederationColumns
  status: 'onboarding' | 'active'
}

export interface StoredClient {
  clientId: string
  name: string
  metadata: Record<string, unknown>
  divisionCode: string | null
  status: ClientStatus
  portalUrl: string | null
  sector: string | null
  requiredAssuranceLevel: number
  consentPolicy: ConsentPolicy
  source: ClientSource
}

/** A store transaction; opaque to the domain, handed back to the store's writes. */
// biome-ignore lint/suspicious/noExplicitAny: the storage layer's transaction type stays out of the domain
type Tx = any

/** The client storage the federation writes through (src/store/clients.ts implements it). */
export interface FederationClientStore {
  list(conn?: Tx): Promise<StoredClient[]>
  findRecord(clientId: string): Promise<StoredClient | undefined>
  insert(client: { clientId: string; name: string; metadata: Record<string, unknown>; secret?: string; divisionCode?: string | null; status?: ClientStatus; federation?: Partial<ClientFederationColumns> }, conn?: Tx): Promise<void>
  update(clientId: string, change: { name?: string; metadata?: Record<string, unknown>; divisionCode?: string | null; status?: ClientStatus; federation?: Partial<ClientFederationColumns> }, conn?: Tx): Promise<void>
  transaction<T>(work: (trx: Tx) => Promise<T>): Promise<T>
}

/** The audit trail, when wired: registry changes are recorded in the transaction that makes them. */
export interface FederationAudit {
  record(event: import('../audit/index.js').AuditEvent, trx?: Tx): Promise<unknown>
}

/** Everything the federation sync and onboarding use; wired in app.ts (createServices). */
export interface FederationDeps {
  issuer: string
  audit?: FederationAudit
  clients: FederationClientStore
  divisions: { tree(): Promise<import('./divisions.js').DivisionTree> }
  /** Builds and validates a registration with oidc-provider's schema; throws AppError when invalid. */
  prepareSystem(input: SystemRegistrationInput, options: { withSecret: boolean; validate?: (metadata: Record<string, unknown>) => Promise<string | undefined> }): Promise<PreparedSystem>
  /** One provider-backed validator reused across many systems. */
  createValidator(): Promise<(metadata: Record<string, unknown>) => Promise<string | undefined>>
}

/** A person already in OneDoor, as the account import needs to see them. */
export interface ImportExistingPerson {
  id: string
  name: string
  phone: string
  idNumberIndex: string
}

export interface ImportNewPerson {
  id: string
  name: string
  idNumberSealed: string
  idNumberIndex: string
  idNumberMasked: string
  phone: string
  passwordHash: string
  createdAt: number
}

export interface ImportLink {
  sourceClientId: string
  legacyUserId: string
  personId: string
  hashFormat: string
  importedAt: number
}

/** Storage of the account import (src/store/federation.ts). */
export interface AccountImportStore {
  /** Legacy ids of this source already imported. */
  findImported(sourceClientId: string, legacyUserIds: string[]): Promise<Set<string>>
  findPersonsByIndex(indexes: string[]): Promise<ImportExistingPerson[]>
  /** phone → person id, for phones already taken. */
  findPhoneOwners(phones: string[]): Promise<Map<string, string>>
  /** New persons and provenance links of one batch, in one transaction. */
  writeBatch(persons: ImportNewPerson[], links: ImportLink[]): Promise<void>
}
