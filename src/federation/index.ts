/*
 * The federation domain's public surface: administrative divisions, service-system policy,
 * pairwise subjects, the federation manifest and its sync, onboarding and account import.
 */
export type * from './types.js'
export { FederationError } from './errors.js'
export { buildDivisionTree, createDivisions, type DivisionTree, type Divisions } from './divisions.js'
export { derivePairwiseKey, pairwiseSubject } from './pairwise.js'
export {
  acrForLevel,
  federationMetadataProblem,
  CLIENT_CONSENT_POLICY_PROPERTY,
  CLIENT_SECTOR_PROPERTY,
  CONSENT_POLICIES,
  FEDERATION_CLIENT_PROPERTIES,
  SECTOR_PATTERN,
} from './client-policy.js'
export { parseManifest, readManifest, ManifestSchema, type Manifest, type ManifestSystem, type ManifestInput } from './manifest.js'
export { syncFederation, divisionProblems, uriProblems, type SyncOptions, type SyncResult, type SyncChange } from './sync.js'
export { onboardSystem, type OnboardInput, type OnboardResult } from './onboard.js'
export { integrationGuide, type GuideInput } from './integration-guide.js'
export { importAccounts, type ImportDeps, type ImportOptions, type ImportReport, type ImportRecord } from './import-accounts.js'
export { readImportFile, countRecords, importFileFormat, type ImportFileFormat } from './import-file.js'
