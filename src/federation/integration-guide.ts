/*
 * The integration guide printed by `onedoor federation onboard`: what a service system's
 * developers need to connect to OneDoor, filled in with its own values. docs/integration-guide.md
 * holds the same text with placeholders. Secrets are never part of the guide itself.
 */
export interface GuideInput {
  issuer: string
  clientId: string
  name: string
  divisionName: string
  redirectUri: string
  postLogoutRedirectUri?: string
  backchannelLogoutUri?: string
  scopes: string[]
  /** Claims per scope, as the provider publishes them. */
  claimsByScope: Record<string, readonly string[]>
  requiredAcr?: string
  consentPolicy: 'explicit' | 'implicit'
}

export function integrationGuide(g: GuideInput): string {
  const scope = g.scopes.join(' ')
  const claims = [...new Set(g.scopes.flatMap((s) => g.claimsByScope[s] ?? []))]
  const redirect = new URL(g.redirectUri)
  const apacheBackchannel = `${g.redirectUri}${redirect.search ? '&' : '?'}logout=backchannel`
  const base = g.issuer.replace(/\/$/, '')
  const lines = [
    `# ${g.name} (${g.divisionName}) — OneDoor integration guide`,
    '',
    '## Endpoints',
    `- Discovery:        ${base}/.well-known/openid-configuration`,
    `- Authorization:    ${base}/auth`,
    `- Token:            ${base}/token`,
    `- UserInfo:         ${base}/me`,
    `- JWKS:             ${base}/jwks`,
    `- End session:      ${base}/session/end`,
    '(Always read the endpoints from discovery; the paths above are today\'s values.)',
    '',
    '## Your registration',
    `- client_id:        ${g.clientId}`,
    '- client_secret:    printed above, once; client authentication is client_secret_basic',
    `- redirect_uri:     ${g.redirectUri}`,
    `- post-logout URI:  ${g.postLogoutRedirectUri ?? '(none registered)'}`,
    `- back-channel logout URI: ${g.backchannelLogoutUri ?? '(none registered: this system will not be told about logouts)'}`,
    '- Flow: authorization code with PKCE (S256) — PKCE is required, even for confidential clients.',
    `- Scopes you may request: ${scope} (any other scope is refused with invalid_scope)`,
    `- Claims you may receive: ${[...new Set(['sub', ...claims])].join(', ')}`,
    '- sub is pairwise: it identifies the person for your sector only. Key your accounts on sub, never on name or phone.',
    g.requiredAcr ? `- Required assurance: ${g.requiredAcr} (default_acr_values; OneDoor steps the person up when needed).` : '- Required assurance: none beyond a OneDoor login.',
    g.consentPolicy === 'implicit'
      ? '- Consent: the consent screen is skipped (government portal); the grant is still recorded and the person can revoke it in the account centre.'
      : '- Consent: the person approves your access once; they can revoke it in the account centre.',
    '',
    '## Single sign-on and logout — what OneDoor expects',
    '- A person signed in at any portal reaches yours without credentials; use prompt=none to check silently.',
    '- Logout anywhere (another portal, the account centre, an administrator) ends the OneDoor session and POSTs a signed',
    '  logout token (application/x-www-form-urlencoded, field logout_token) to your back-channel logout URI. Verify it like',
    '  an ID token (signature from JWKS, iss, aud = your client_id, iat), check typ "logout+jwt", the events claim',
    '  "http://schemas.openid.net/event/backchannel-logout", and that it has sid and/or sub and no nonce; then end your',
    '  local session(s) for that sid (or for every session of that sub) and answer 200 quickly. Failures are retried.',
    '  Delivery is at least once: after a OneDoor node fails, the same logout token (same jti) may arrive again; answer',
    '  200 to a repeat as well.',
    '- If OneDoor cannot reach its database for a moment, the authorization response carries',
    '  error=temporarily_unavailable (with your state): tell the person to try again shortly; it is not a refusal.',
    '- To log out from your portal, redirect to the end-session endpoint with id_token_hint and your post_logout_redirect_uri.',
    '',
    '## Apache mod_auth_openidc',
    '```apache',
    `OIDCProviderMetadataURL ${base}/.well-known/openid-configuration`,
    `OIDCClientID ${g.clientId}`,
    'OIDCClientSecret <client_secret>',
    `OIDCRedirectURI ${g.redirectUri}`,
    'OIDCCryptoPassphrase <long random string>',
    `OIDCScope "${scope}"`,
    'OIDCPKCEMethod S256',
    'OIDCResponseType code',
    `OIDCDefaultLoggedOutURL ${g.postLogoutRedirectUri ?? redirect.origin + '/'}`,
    `<Location ${redirect.pathname.replace(/[^/]*$/, '') || '/'}>`,
    '  AuthType openid-connect',
    '  Require valid-user',
    '</Location>',
    '```',
    `mod_auth_openidc receives back-channel logouts on its redirect URI: the registered back-channel logout URI must be`,
    `  ${apacheBackchannel}`,
    g.backchannelLogoutUri === apacheBackchannel
      ? '  (it is).'
      : '  — re-register with --backchannel-logout-uri set to that value if this system uses mod_auth_openidc.',
    '',
    '## Node.js (openid-client 6)',
    '```js',
    "import * as client from 'openid-client'",
    `const config = await client.discovery(new URL('${base}'), '${g.clientId}', process.env.ONEDOOR_CLIENT_SECRET)`,
    'const verifier = client.randomPKCECodeVerifier()',
    'const url = client.buildAuthorizationUrl(config, {',
    `  redirect_uri: '${g.redirectUri}', scope: '${scope}',`,
    "  code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',",
    '  state: client.randomState(),',
    '})',
    '// on the callback:',
    'const tokens = await client.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: verifier, expectedState: state })',
    'const claims = tokens.claims() // sub, and the claims listed above',
    '```',
    '',
    '## Spring Security (spring-boot-starter-oauth2-client)',
    '```yaml',
    'spring:',
    '  security:',
    '    oauth2:',
    '      client:',
    '        registration:',
    '          onedoor:',
    `            client-id: ${g.clientId}`,
    '            client-secret: ${ONEDOOR_CLIENT_SECRET}',
    '            authorization-grant-type: authorization_code',
    `            redirect-uri: ${g.redirectUri}`,
    `            scope: ${g.scopes.join(', ')}`,
    '        provider:',
    '          onedoor:',
    `            issuer-uri: ${base}`,
    '```',
    'Enable PKCE for this confidential client: set the authorization request resolver\'s customizer to',
    '`OAuth2AuthorizationRequestCustomizers.withPkce()`; handle back-channel logout with `.oidcLogout(l -> l.backChannel(withDefaults()))`',
    '(Spring Security 6.2+) whose endpoint is /logout/connect/back-channel/onedoor — register that as the back-channel URI.',
    '',
    '## Python (Authlib)',
    '```python',
    'from authlib.integrations.flask_client import OAuth',
    'oauth = OAuth(app)',
    'oauth.register(',
    "    name='onedoor',",
    `    server_metadata_url='${base}/.well-known/openid-configuration',`,
    `    client_id='${g.clientId}',`,
    "    client_secret=os.environ['ONEDOOR_CLIENT_SECRET'],",
    `    client_kwargs={'scope': '${scope}', 'code_challenge_method': 'S256'},`,
    ')',
    `# login:    return oauth.onedoor.authorize_redirect('${g.redirectUri}')`,
    '# callback: token = oauth.onedoor.authorize_access_token(); claims = token["userinfo"]',
    '```',
    'For back-channel logout, verify the logout_token with `authlib.jose.jwt.decode(token, jwks)` and the checks listed above.',
    '',
  ]
  return lines.join('\n')
}
