/*
 * Onboarding one service system outside the manifest (`onedoor federation onboard`): checks its
 * division and URIs like the sync does, registers it as a pairwise client and returns its
 * credentials. Onboarded systems are never suspended by a manifest sync (source 'onboard').
 */
import { customAlphabet } from 'nanoid'
import { SECTOR_PATTERN } from './client-policy.js'
import { FederationError } from './errors.js'
import { divisionProblems, uriProblems } from './sync.js'
import type { ConsentPolicy, FederationDeps, PreparedSystem } from './types.js'
import type { Division } from './types.js'

const suffix = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 6)

export interface OnboardInput {
  divisionCode: string
  redirectUris: string[]
  backchannelLogoutUri?: string
  postLogoutRedirectUris?: string[]
  name?: string
  portalUrl?: string
  allowedScopes?: string[]
  requiredAssuranceLevel?: number
  consentPolicy?: ConsentPolicy
  sector?: string
  status?: 'onboarding' | 'active'
  requireHttps?: boolean
}

export interface OnboardResult extends PreparedSystem {
  division: Division
}

export async function onboardSystem(deps: FederationDeps, input: OnboardInput): Promise<OnboardResult> {
  const tree = await deps.divisions.tree()
  const portalUrl = input.portalUrl ?? (URL.canParse(input.redirectUris[0] ?? '') ? `${new URL(input.redirectUris[0]).origin}/` : '')
  const problems = [
    ...(input.redirectUris.length === 0 ? ['at least one redirect URI is required'] : []),
    ...(input.sector !== undefined && !SECTOR_PATTERN.test(input.sector) ? ["sector: 1-64 lowercase letters, digits, '.', '_' or '-'"] : []),
    ...divisionProblems(tree, input.divisionCode),
    ...uriProblems(
      { portalUrl, redirectUris: input.redirectUris, postLogoutRedirectUris: input.postLogoutRedirectUris ?? [], backchannelLogoutUri: input.backchannelLogoutUri },
      input.requireHttps ?? deps.issuer.startsWith('https://'),
    ),
  ]
  if (problems.length > 0) throw FederationError.MANIFEST_INVALID({ problems })
  const division = tree.get(input.divisionCode)!
  const prepared = await deps.prepareSystem(
    {
      clientId: `hlj-${division.code}-${suffix()}`,
      name: input.name ?? `${division.name}政务服务系统`,
      redirectUris: input.redirectUris,
      postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
      backchannelLogoutUri: input.backchannelLogoutUri,
      divisionCode: division.code,
      allowedScopes: input.allowedScopes ?? ['openid', 'profile'],
      pairwise: true,
      sector: input.sector ?? null,
      requiredAssuranceLevel: input.requiredAssuranceLevel ?? 1,
      consentPolicy: input.consentPolicy ?? 'explicit',
      portalUrl,
      status: input.status ?? 'active',
      source: 'onboard',
    },
    { withSecret: true },
  )
  await deps.clients.transaction(async (trx) => {
    await deps.clients.insert(
      {
        clientId: prepared.clientId,
        name: prepared.name,
        metadata: prepared.metadata,
        secret: prepared.clientSecret,
        divisionCode: prepared.divisionCode,
        status: prepared.status,
        federation: prepared.federation,
      },
      trx,
    )
    await deps.audit?.record(
      { type: 'admin.client.created', actor: { type: 'system', id: 'federation-onboard' }, divisionCode: division.code, target: { type: 'client', id: prepared.clientId } },
      trx,
    )
  })
  return { ...prepared, division }
}
