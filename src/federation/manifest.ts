/*
 * The federation manifest (config/federation/manifest.json): the declarative list of the
 * province's service systems. Parsed with a strict schema so a typo is an error, not a silently
 * ignored key. Checks that need the database or the division tree happen in the sync plan.
 */
import { readFile } from 'node:fs/promises'
import * as z from 'zod'
import { FederationError } from './errors.js'
import { SECTOR_PATTERN } from './client-policy.js'

const uri = z.string().min(1).max(2000)

export const ManifestSystemSchema = z.strictObject({
  /** Stable OIDC client_id; the key sync matches rows by. */
  clientId: z.string().regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, 'client ids are 3-64 lowercase letters, digits, ".", "_" or "-"'),
  name: z.string().trim().min(1).max(200),
  divisionCode: z.string().regex(/^\d{6}$/, 'a 6-digit division code'),
  portalUrl: uri,
  redirectUris: z.array(uri).min(1),
  postLogoutRedirectUris: z.array(uri).default([]),
  backchannelLogoutUri: uri.optional(),
  /** Claims allow-list, as scopes (openid is implied). */
  allowedScopes: z.array(z.string().min(1)).default(['openid', 'profile']),
  requiredAssuranceLevel: z.number().int().min(1).max(3).default(1),
  consentPolicy: z.enum(['explicit', 'implicit']).default('explicit'),
  /** Systems sharing a sector see the same pairwise sub; unset = own sector. */
  sector: z.string().regex(SECTOR_PATTERN, "lowercase letters, digits, '.', '_' or '-'").optional(),
  status: z.enum(['onboarding', 'active']).default('active'),
})

export const ManifestSchema = z.strictObject({
  $comment: z.union([z.string(), z.array(z.string())]).optional(),
  version: z.literal(1),
  systems: z.array(ManifestSystemSchema),
})

export type Manifest = z.infer<typeof ManifestSchema>
export type ManifestSystem = z.infer<typeof ManifestSystemSchema>
export type ManifestInput = z.input<typeof ManifestSchema>

/** Validates a parsed JSON value; every problem is listed in the error's details. */
export function parseManifest(value: unknown): Manifest {
  const parsed = ManifestSchema.safeParse(value)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => `${describePath(value, issue.path)}: ${issue.message}`)
  throw FederationError.MANIFEST_INVALID({ problems })
}

export async function readManifest(file: string): Promise<Manifest> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw FederationError.MANIFEST_INVALID({ problems: [`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`] }, err)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw FederationError.MANIFEST_INVALID({ problems: [`${file}: not valid JSON (${(err as Error).message})`] }, err)
  }
  return parseManifest(json)
}

/** systems[12].redirectUris[0] → "systems[12] (hlj-230102).redirectUris[0]" so operators find the entry. */
function describePath(value: unknown, path: PropertyKey[]): string {
  let out = ''
  for (const [i, part] of path.entries()) {
    out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`
    if (i === 1 && path[0] === 'systems' && typeof part === 'number') {
      const id = (value as { systems?: { clientId?: unknown }[] })?.systems?.[part]?.clientId
      if (typeof id === 'string') out += ` (${id})`
    }
  }
  return out || '(root)'
}
