/*
 * One HTTP delivery of a logout token (Back-Channel Logout §2.5): a form POST, no redirects
 * followed, success only on 200 or 204. Portals on private networks are reached directly: the
 * URI comes from a registered client, never from a request, so no SSRF guard applies here.
 */
export type PostLogoutToken = (uri: string, logoutToken: string, timeoutMs: number) => Promise<void>

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError'
}

export const postLogoutToken: PostLogoutToken = async (uri, logoutToken, timeoutMs) => {
  let response: Response
  try {
    response = await fetch(uri, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store' },
      body: new URLSearchParams({ logout_token: logoutToken }),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (err) {
    throw new DeliveryError(describeFailure(err, timeoutMs), { cause: err })
  }
  // The body is never read; release the connection either way.
  await response.body?.cancel().catch(() => undefined)
  if (response.status !== 200 && response.status !== 204) {
    throw new DeliveryError(`portal answered HTTP ${response.status}`)
  }
}

function describeFailure(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string } }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`
  const code = e?.cause?.code
  return code ? `could not connect (${code})` : `could not connect (${e?.cause?.message ?? (err as Error)?.message ?? 'unknown error'})`
}
