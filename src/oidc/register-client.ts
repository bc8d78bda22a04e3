/*
 * Registering a relying party: metadata built from a few operator-level inputs, validated by
 * oidc-provider's own schema, then stored with its secret sealed. Used by the CLI, the
 * federation sync and the tests alike.
 */
import { randomBytes } from 'node:crypto'
import type { Config } from '../config/index.js'
import type { Jwk } from '../keys/index.js'
import { AppError } from '../shared/errors.js'
import { newId } from '../shared/ids.js'
import type { ClientFederationFields, ClientStore } from '../store/clients.js'
import { validateClientMetadata } from './validate-client.js'

export interface RegisterClientInput {
  name: string
  redirectUris: string[]
  postLogoutRedirectUris?: string[]
  backchannelLogoutUri?: string
  divisionCode?: string | null
  public?: boolean
  clientId?: string
  /** Extra oidc-provider metadata (e.g. default_acr_values), validated like the rest. */
  extraMetadata?: Record<string, unknown>
  /** Federation (issue 4). Scopes the system is approved for (its claims allow-list); unset = any. */
  allowedScopes?: string[]
  /** Pairwise `sub` (federated systems); sector defaults to the client id. */
  pairwise?: boolean
  sector?: string | null
  /** Minimum assurance level; above 1 it is published as default_acr_values. */
  requiredAssuranceLevel?: number
  consentPolicy?: 'explicit' | 'implicit'
  portalUrl?: string | null
  status?: 'onboarding' | 'active'
  source?: 'manual' | 'manifest' | 'onboard'
}

export interface RegisteredClient {
  clientId: string
  clientSecret?: string
  metadata: Record<string, unknown>
}

export interface RegisterClientDeps {
  config: Config
  clients: ClientStore
  loadJwks: () => Promise<Jwk[]>
}

export function buildClientMetadata(input: RegisterClientInput, config?: Config): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    client_name: input.name.trim(),
    redirect_uris: input.redirectUris,
    post_logout_redirect_uris: input.postLogoutRedirectUris ?? [],
    response_types: ['code'],
    grant_types: input.public ? ['authorization_code', 'refresh_token'] : ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_method: input.public ? 'none' : 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
    ...input.extraMetadata,
  }
  if (input.backchannelLogoutUri) {
    metadata.backchannel_logout_uri = input.backchannelLogoutUri
    metadata.backchannel_logout_session_required = true
  }
  if (input.allowedScopes) metadata.scope = [...new Set(['openid', ...input.allowedScopes])].join(' ')
  if (input.pairwise) metadata.subject_type = 'pairwise'
  const level = input.requiredAssuranceLevel ?? 1
  if (level > 1) {
    const acr = (config?.assurance?.acrByLevel as Record<string, string> | undefined)?.[String(level)]
    metadata.default_acr_values = [acr ?? `urn:onedoor:loa:${level}`]
  }
  return metadata
}

export interface PreparedClient extends RegisteredClient {
  name: string
  divisionCode: string | null
  federation: Required<ClientFederationFields>
  status: 'onboarding' | 'active'
}

/** Checks and builds a registration without storing it (the federation sync stores in one transaction). */
export async function prepareClient(
  deps: Omit<RegisterClientDeps, 'clients'>,
  input: RegisterClientInput,
  options: { validate?: (metadata: Record<string, unknown>) => Promise<string | undefined>; withSecret?: boolean } = {},
): Promise<PreparedClient> {
  const name = input.name?.trim() ?? ''
  if (!name || name.length > 200) throw new AppError('CLIENT_NAME_INVALID', 'The name must be 1 to 200 characters.')
  if (input.divisionCode != null && !/^\d{6}$/.test(input.divisionCode)) {
    throw new AppError('CLIENT_DIVISION_INVALID', 'The division code must be 6 digits.')
  }
  const metadata = buildClientMetadata(input, deps.config)
  const clientId = input.clientId ?? newId()
  const secretNeeded = !input.public && options.withSecret !== false
  const clientSecret = secretNeeded ? randomBytes(32).toString('base64url') : undefined
  const federation: Required<ClientFederationFields> = {
    portalUrl: input.portalUrl ?? null,
    sector: input.sector ?? null,
    requiredAssuranceLevel: input.requiredAssuranceLevel ?? 1,
    consentPolicy: input.consentPolicy ?? 'explicit',
    source: input.source ?? 'manual',
  }
  const candidate = {
    ...metadata,
    client_id: clientId,
    // A stand-in secret when an existing one is kept: the schema only checks that one exists.
    ...(input.public ? {} : { client_secret: clientSecret ?? 'x'.repeat(43) }),
    onedoor_sector: federation.sector ?? clientId,
    onedoor_consent_policy: federation.consentPolicy,
  }
  const problem = options.validate
    ? await options.validate(candidate)
    : await validateClientMetadata(deps.config, await deps.loadJwks(), candidate)
  if (problem) throw new AppError('CLIENT_METADATA_INVALID', `invalid client metadata: ${problem}`)
  return { clientId, clientSecret, metadata, name, divisionCode: input.divisionCode ?? null, federation, status: input.status ?? 'active' }
}

export async function registerClient(deps: RegisterClientDeps, input: RegisterClientInput): Promise<RegisteredClient> {
  const prepared = await prepareClient(deps, input)
  const { clientId, clientSecret, metadata } = prepared
  await deps.clients.insert({
    clientId,
    name: prepared.name,
    metadata,
    secret: clientSecret,
    divisionCode: prepared.divisionCode,
    status: prepared.status,
    federation: prepared.federation,
  })
  return { clientId, clientSecret, metadata }
}
