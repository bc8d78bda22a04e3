import Provider from 'oidc-provider'
import type { Config } from '../config/index.js'
import type { Jwk } from '../keys/index.js'
import { buildConfiguration } from './configuration.js'

/**
 * Validates client metadata with oidc-provider's own schema (the same checks a token request
 * would run), so that nothing the provider would later refuse is ever written.
 * Returns the problem, or undefined when the metadata is acceptable.
 */
export async function validateClientMetadata(config: Config, jwks: Jwk[], metadata: Record<string, unknown>): Promise<string | undefined> {
  return createClientValidator(config, jwks)(metadata)
}

/** One provider for many validations (the federation sync checks ~140 systems at once). */
export function createClientValidator(config: Config, jwks: Jwk[]): (metadata: Record<string, unknown>) => Promise<string | undefined> {
  const configuration = buildConfiguration(config, {
    // Validation stores nothing; a do-nothing adapter keeps the provider from warning about memory storage.
    adapter: NoStorage as never,
    findAccount: async () => undefined,
    jwks,
    fetch: globalThis.fetch,
    pages: { renderError: async () => {}, logoutSource: async () => {}, postLogoutSuccessSource: async () => {} },
  })
  const provider = new Provider(config.issuer, configuration)
  return async (metadata) => {
    try {
      await provider.Client.validate(metadata as never)
      return undefined
    } catch (err) {
      const e = err as { error?: string; error_description?: string; message: string }
      return e.error_description ?? e.message
    }
  }
}

class NoStorage {
  async upsert(): Promise<void> {}
  async find(): Promise<undefined> {
    return undefined
  }
  async findByUid(): Promise<undefined> {
    return undefined
  }
  async findByUserCode(): Promise<undefined> {
    return undefined
  }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}
