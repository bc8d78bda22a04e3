/*
 * Outgoing requests of the provider. oidc-provider guards every fetch against private and
 * loopback addresses (SSRF). Government portals sit on private networks, so the guard is
 * lifted for exactly one purpose: a POST to the host of a registered back-channel logout URI.
 * Every other outgoing request (jwks_uri, sector_identifier_uri, …) keeps the guard.
 */
export interface OutboundFetchDeps {
  backchannelLogoutHosts: () => Promise<Set<string>>
  timeoutMs: number
  cacheMs?: number
}

type FetchOptions = RequestInit & { dispatcher?: unknown }

export function createOutboundFetch(deps: OutboundFetchDeps) {
  const cacheMs = deps.cacheMs ?? 5000
  let cached: { at: number; hosts: Set<string> } | undefined

  async function allowedHosts(): Promise<Set<string>> {
    if (!cached || Date.now() - cached.at > cacheMs) cached = { at: Date.now(), hosts: await deps.backchannelLogoutHosts() }
    return cached.hosts
  }

  return async function outboundFetch(url: URL | string, options: FetchOptions): Promise<Response> {
    const target = new URL(url)
    if ((options.method ?? 'GET').toUpperCase() === 'POST' && (await allowedHosts()).has(target.host)) {
      delete options.dispatcher
      options.signal = AbortSignal.timeout(deps.timeoutMs)
    }
    return globalThis.fetch(target, options as RequestInit)
  }
}
