/* The OpenAPI 3.1 document of the admin API, built from the very zod schemas that validate requests. */
import * as z from 'zod'
import * as S from './schemas.js'

const schema = (s: z.ZodType, io: 'input' | 'output' = 'input') => z.toJSONSchema(s, { io, unrepresentable: 'any' })

export function buildOpenApi(issuer: string) {
  const errors = {
    400: { description: 'Invalid input', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    401: { description: 'Missing, invalid or revoked access token (sessions ended, account disabled, password changed, console sign-out)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    403: { description: 'Outside your role or division, assurance too low, or the administrator password must be changed first (ADMIN_PASSWORD_EXPIRED)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    404: { description: 'Not found', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  }
  const ok = { 200: { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } }, ...errors }
  const withBody = (ref: string) => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } })
  const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]
  const queryParams = (s: z.ZodObject) => Object.entries(s.shape).map(([name, field]) => ({ name, in: 'query', required: !(field as z.ZodType).safeParse(undefined).success, schema: schema(field as z.ZodType) }))
  const reasonPost = (summary: string) => ({ post: { summary, parameters: idParam, requestBody: withBody('ReasonInput'), responses: ok } })

  return {
    openapi: '3.1.0',
    info: { title: 'OneDoor administration API', version: '1', description: 'Scoped by the caller\'s roles and division. Access tokens: OneDoor-issued, resource indicator (RFC 8707) `' + `${issuer}/admin/api` + '`, scope `admin`.' },
    servers: [{ url: `${issuer}/admin/api` }],
    security: [{ oneDoor: ['admin'] }],
    components: {
      securitySchemes: {
        oneDoor: { type: 'oauth2', flows: { authorizationCode: { authorizationUrl: `${issuer}/auth`, tokenUrl: `${issuer}/token`, scopes: { admin: 'Administration within your roles' } } } },
      },
      schemas: {
        Error: schema(S.ErrorBody, 'output'),
        ClientCreateInput: schema(S.ClientCreateInput),
        ClientUpdateInput: schema(S.ClientUpdateInput),
        ReasonInput: schema(S.ReasonInput),
        PersonSearchQuery: schema(S.PersonSearchQuery),
        EnterpriseSearchInput: schema(S.EnterpriseSearchInput),
        EnterpriseVerifyInput: schema(S.EnterpriseVerifyInput),
        LegalRepresentativeInput: schema(S.LegalRepresentativeInput),
        CounterVerificationInput: schema(S.CounterVerificationInput),
        AdminGrantInput: schema(S.AdminGrantInput),
      },
    },
    paths: {
      '/me': { get: { summary: 'The caller and their grants', responses: ok } },
      '/clients': {
        get: { summary: 'Service systems in scope', parameters: queryParams(S.ClientListQuery), responses: ok },
        post: { summary: 'Create a service system (the secret is shown once)', requestBody: withBody('ClientCreateInput'), responses: { 201: ok[200], ...errors } },
      },
      '/clients/{id}': {
        get: { summary: 'One service system', parameters: idParam, responses: ok },
        patch: { summary: 'Edit URIs, name or allowed scopes', parameters: idParam, requestBody: withBody('ClientUpdateInput'), responses: ok },
      },
      '/clients/{id}/suspend': { post: { summary: 'Suspend', parameters: idParam, responses: ok } },
      '/clients/{id}/activate': { post: { summary: 'Re-activate', parameters: idParam, responses: ok } },
      '/clients/{id}/rotate-secret': { post: { summary: 'New client secret (shown once)', parameters: idParam, responses: ok } },
      '/clients/{id}/health': { get: { summary: 'Sign-ins, tokens and logout deliveries in the last 24 h', parameters: idParam, responses: ok } },
      '/persons/search': { post: { summary: 'Exact search by ID number, mobile or name; results masked', requestBody: withBody('PersonSearchQuery'), responses: ok } },
      '/persons/{id}': { get: { summary: 'One person, masked', parameters: idParam, responses: ok } },
      '/persons/{id}/disable': reasonPost('Disable the account (ends its sessions)'),
      '/persons/{id}/enable': reasonPost('Enable the account'),
      '/persons/{id}/end-sessions': reasonPost('End every OneDoor session of the person'),
      '/persons/{id}/unlock': reasonPost('Clear the failed-sign-in lock of the person'),
      '/persons/{id}/reset-mfa': reasonPost('Remove the second factor (the person enrols again)'),
      '/persons/{id}/reveal-id-number': reasonPost('Reveal the full ID number (audited, reason required)'),
      '/persons/{id}/counter-verification': { post: { summary: 'Counter verification: raise to level 2 with evidence', parameters: idParam, requestBody: withBody('CounterVerificationInput'), responses: ok } },
      '/enterprises/search': { post: { summary: 'Find a legal person by unified social credit code', requestBody: withBody('EnterpriseSearchInput'), responses: ok } },
      '/enterprises/{id}': { get: { summary: 'Legal person: representative (masked), verifications, mandates', parameters: idParam, responses: ok } },
      '/enterprises/{id}/verify': { post: { summary: 'Record a verification of the legal person', parameters: idParam, requestBody: withBody('EnterpriseVerifyInput'), responses: ok } },
      '/enterprises/{id}/legal-representative': { post: { summary: 'Set the legal representative (with evidence)', parameters: idParam, requestBody: withBody('LegalRepresentativeInput'), responses: ok } },
      '/enterprises/{id}/mandates/{mandateId}/revoke': { post: { summary: 'Revoke a mandate', parameters: [...idParam, { name: 'mandateId', in: 'path', required: true, schema: { type: 'string' } }], requestBody: withBody('ReasonInput'), responses: ok } },
      '/admins': {
        get: { summary: 'Administrators in scope', responses: ok },
        post: { summary: 'Delegate a role within your scope (never more than you hold)', requestBody: withBody('AdminGrantInput'), responses: { 201: ok[200], ...errors } },
      },
      '/audit': { get: { summary: 'Audit records in scope (auditor only); format=csv exports', parameters: queryParams(S.AuditQueryInput), responses: ok } },
    },
  }
}
