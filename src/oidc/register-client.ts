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
import type { ClientStore } from '../store/clients.js'
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

export function buildClientMetadata(input: RegisterClientInput): Record<string, unknown> {
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
  return metadata
}

export async function registerClient(deps: RegisterClientDeps, input: RegisterClientInput): Promise<RegisteredClient> {
  const name = input.name?.trim() ?? ''
  if (!name || name.length > 200) throw new AppError('CLIENT_NAME_INVALID', 'The name must be 1 to 200 characters.')
  if (input.divisionCode != null && !/^\d{6}$/.test(input.divisionCode)) {
    throw new AppError('CLIENT_DIVISION_INVALID', 'The division code must be 6 digits.')
  }
  const metadata = buildClientMetadata(input)
  const clientId = input.clientId ?? newId()
  const clientSecret = input.public ? undefined : randomBytes(32).toString('base64url')
  const problem = await validateClientMetadata(deps.config, await deps.loadJwks(), {
    ...metadata,
    client_id: clientId,
    ...(clientSecret ? { client_secret: clientSecret } : {}),
  })
  if (problem) throw new AppError('CLIENT_METADATA_INVALID', `invalid client metadata: ${problem}`)
  await deps.clients.insert({ clientId, name, metadata, secret: clientSecret, divisionCode: input.divisionCode ?? null })
  return { clientId, clientSecret, metadata }
}
