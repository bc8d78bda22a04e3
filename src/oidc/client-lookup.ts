/*
 * oidc-provider looks the client up on every request: for a client stored through the adapter
 * it serialises the metadata and hashes it (SHA-256) to find the Client instance it built for
 * that metadata before. OneDoor's client store already hands back the same metadata object
 * until it re-reads the row (src/store/clients.ts, `clients.cacheMs`), so the instance can be
 * remembered per metadata object instead: the serialise-and-hash was ~4 % of a token request.
 * A changed client arrives as a new object, so changes show exactly as soon as before.
 */
import type Provider from 'oidc-provider'

type FindMetadata = (clientId: string) => Promise<Record<string, unknown> | undefined>

export function memoiseClientLookups(provider: Provider, findMetadata: FindMetadata): void {
  const Client = provider.Client as unknown as { find(id: unknown): Promise<unknown> }
  const find = Client.find.bind(Client)
  const byMetadata = new WeakMap<object, unknown>()
  Client.find = async (id: unknown) => {
    const metadata = typeof id === 'string' && id.length > 0 ? await findMetadata(id) : undefined
    if (!metadata) return find(id)
    const known = byMetadata.get(metadata)
    if (known) return known
    const client = await find(id)
    if (client) byMetadata.set(metadata, client)
    return client
  }
}
