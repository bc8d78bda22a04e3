/*
 * The account centre is a first-party OIDC client of OneDoor: registered automatically at
 * start-up (idempotent, safe with several processes starting at once), public (PKCE, no secret
 * to distribute), code flow only, consent implicit (it is OneDoor itself).
 */
export const ACCOUNT_CENTRE_CLIENT_ID = 'onedoor-account'

export interface FirstPartyClientDeps {
  issuer: string
  /** The stored client (any status), with its metadata as registered. */
  findRecord(clientId: string): Promise<{ metadata: Record<string, unknown>; status: string } | undefined>
  updateMetadata(clientId: string, metadata: Record<string, unknown>): Promise<void>
  register(input: {
    clientId: string
    name: string
    redirectUris: string[]
    postLogoutRedirectUris: string[]
    public: boolean
    extraMetadata: Record<string, unknown>
    consentPolicy: 'implicit'
    status: 'active'
  }): Promise<unknown>
}

export function accountCentreRedirectUri(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/account/callback`
}

/**
 * Registers the account centre's client on first start; afterwards keeps its redirect URIs in
 * step with the issuer (a deployment that changes its public name). An operator may suspend it.
 */
export async function ensureAccountCentreClient(deps: FirstPartyClientDeps): Promise<void> {
  const existing = await deps.findRecord(ACCOUNT_CENTRE_CLIENT_ID)
  const redirectUri = accountCentreRedirectUri(deps.issuer)
  const postLogoutUri = `${deps.issuer.replace(/\/$/, '')}/account/signed-out`
  if (existing) {
    if ((existing.metadata.redirect_uris as string[] | undefined)?.includes(redirectUri)) return
    await deps.updateMetadata(ACCOUNT_CENTRE_CLIENT_ID, { ...existing.metadata, redirect_uris: [redirectUri], post_logout_redirect_uris: [postLogoutUri] })
    return
  }
  try {
    await deps.register({
      clientId: ACCOUNT_CENTRE_CLIENT_ID,
      name: '一扇门账户中心 OneDoor account centre',
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [postLogoutUri],
      public: true,
      extraMetadata: { grant_types: ['authorization_code'], require_auth_time: true },
      consentPolicy: 'implicit',
      status: 'active',
    })
  } catch (err) {
    // Another process registered it first.
    if (await deps.findRecord(ACCOUNT_CENTRE_CLIENT_ID)) return
    throw err
  }
}
