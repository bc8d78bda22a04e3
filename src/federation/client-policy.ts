/*
 * Federation-specific client metadata the provider reads (oidc-provider extraClientMetadata):
 * the pairwise sector and the consent policy. Their source of truth is the clients table;
 * the store adds them to the metadata it hands to the provider.
 */
import type { ConsentPolicy } from './types.js'

export const CLIENT_SECTOR_PROPERTY = 'onedoor_sector'
export const CLIENT_CONSENT_POLICY_PROPERTY = 'onedoor_consent_policy'
export const FEDERATION_CLIENT_PROPERTIES = [CLIENT_SECTOR_PROPERTY, CLIENT_CONSENT_POLICY_PROPERTY] as const

export const SECTOR_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/
export const CONSENT_POLICIES: readonly ConsentPolicy[] = ['explicit', 'implicit']

/** The problem with one federation metadata value, or undefined when it is acceptable. */
export function federationMetadataProblem(property: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  // Any client id may stand in as its own sector, so only the type and length are checked here;
  // sectors named in the manifest are held to SECTOR_PATTERN there.
  if (property === CLIENT_SECTOR_PROPERTY && (typeof value !== 'string' || value.length < 1 || value.length > 200)) {
    return `${property} must be a string of 1-200 characters`
  }
  if (property === CLIENT_CONSENT_POLICY_PROPERTY && !CONSENT_POLICIES.includes(value as ConsentPolicy)) {
    return `${property} must be one of ${CONSENT_POLICIES.join(', ')}`
  }
  return undefined
}

/** acr value published for an assurance level (issue 3 defaults: urn:onedoor:loa:1 … 3). */
export function acrForLevel(level: number): string {
  return `urn:onedoor:loa:${level}`
}
