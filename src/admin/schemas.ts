/*
 * Request and response shapes of the admin API. The same zod schemas validate requests and
 * generate /admin/api/openapi.json (z.toJSONSchema), so the document cannot drift from the code.
 */
import * as z from 'zod'
import { ROLES } from './roles.js'

const divisionCode = z.string().regex(/^\d{6}$/, 'a 6-digit division code')
const httpUri = z.url({ protocol: /^https?$/ }).max(2000)

export const ClientCreateInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  divisionCode,
  redirectUris: z.array(httpUri).min(1).max(20),
  postLogoutRedirectUris: z.array(httpUri).max(20).optional(),
  backchannelLogoutUri: httpUri.optional(),
  allowedScopes: z.array(z.string().regex(/^[a-z_]{1,40}$/)).max(20).optional(),
})

export const ClientUpdateInput = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  redirectUris: z.array(httpUri).min(1).max(20).optional(),
  postLogoutRedirectUris: z.array(httpUri).max(20).optional(),
  backchannelLogoutUri: httpUri.nullable().optional(),
  allowedScopes: z.array(z.string().regex(/^[a-z_]{1,40}$/)).max(20).optional(),
}).refine((v) => Object.keys(v).length > 0, 'nothing to change')

export const ClientListQuery = z.strictObject({ division: divisionCode.optional() })

export const PersonSearchQuery = z.strictObject({
  q: z.string().trim().min(1).max(100),
})

export const ReasonInput = z.strictObject({ reason: z.string().trim().min(4).max(500) })

export const CounterVerificationInput = z.strictObject({
  /** What the clerk checked: the document presented and its serial, or a reference to the scanned file. */
  evidence: z.string().trim().min(4).max(500),
  method: z.enum(['counter_id_card', 'counter_other_document']).default('counter_id_card'),
  divisionCode: divisionCode.optional(),
})

export const AdminGrantInput = z.strictObject({
  login: z.string().trim().min(11).max(18),
  role: z.enum(ROLES),
  divisionCode,
})

export const AuditQueryInput = z.strictObject({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
  type: z.string().regex(/^[a-z_]+\.[a-z_]+\.[a-z_]+$/).optional(),
  target: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  format: z.enum(['json', 'csv']).default('json'),
})

export const ErrorBody = z.object({ error: z.string(), error_description: z.string(), request_id: z.string().optional() })

export type ClientCreate = z.infer<typeof ClientCreateInput>
export type ClientUpdate = z.infer<typeof ClientUpdateInput>

export const EnterpriseSearchInput = z.strictObject({ uscc: z.string().trim().toUpperCase().regex(/^[0-9A-HJ-NPQRTUWXY]{18}$/, 'an 18-character unified social credit code') })

export const EnterpriseVerifyInput = z.strictObject({
  evidence: z.string().trim().min(4).max(500),
  kind: z.enum(['licence_at_counter', 'registry_lookup']).default('licence_at_counter'),
})

export const LegalRepresentativeInput = z.strictObject({
  login: z.string().trim().min(11).max(18),
  evidence: z.string().trim().min(4).max(500),
})
