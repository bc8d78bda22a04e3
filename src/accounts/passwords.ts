/*
 * Password hashing with argon2id. Hashes run through a concurrency limit: argon2 shares
 * libuv's thread pool with the SQLite driver and async crypto, and a burst of logins must
 * not starve database reads.
 */
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { limitConcurrency } from '../shared/limit-concurrency.js'
import { legacyFormatOf, verifyLegacyHash } from './legacy-hashes.js'

export interface PasswordSettings {
  argon2: { memoryKiB: number; timeCost: number; parallelism: number }
  maxConcurrentHashes: number
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>

/**
 * argon2 is loaded when the first hasher is made, not when this module is: on an unsupported
 * Node.js its addon crashes the process as it loads, and the entry points must first be able to
 * say so (src/shared/runtime.ts).
 */
const loadArgon2 = () => createRequire(import.meta.url)('argon2') as typeof import('argon2')

export function createPasswordHasher(settings: PasswordSettings) {
  const argon2 = loadArgon2()
  // Never more at once than the cores this process may run on (availableParallelism honours the
  // CPU affinity, e.g. taskset or a container's cpuset): two 19 MiB argon2 runs time-sliced on one
  // core evict each other from the cache and each costs ~10 % more CPU, for no gain in throughput.
  const limit = limitConcurrency(Math.max(1, Math.min(settings.maxConcurrentHashes, availableParallelism())))
  const options = {
    type: argon2.argon2id as 2,
    memoryCost: settings.argon2.memoryKiB,
    timeCost: settings.argon2.timeCost,
    parallelism: settings.argon2.parallelism,
  }
  // Verified when the account does not exist, so that "unknown account" costs what "wrong password" costs.
  const dummyHash = argon2.hash('onedoor-timing-equaliser', options)

  return {
    hash: (password: string) => limit(() => argon2.hash(normalise(password), options)),
    // Imported accounts (issue 4) may still hold a legacy hash until their first sign-in.
    verify: (hash: string, password: string) =>
      limit(() => (legacyFormatOf(hash) ? verifyLegacyHash(hash, password) : argon2.verify(hash, normalise(password)))),
    verifyNothing: async (password: string) => {
      const hash = await dummyHash
      await limit(() => argon2.verify(hash, normalise(password)))
      return false as const
    },
    needsRehash: (hash: string) => legacyFormatOf(hash) !== undefined || argon2.needsRehash(hash, options),
  }
}

/** NIST 800-63B: any Unicode, compared after NFKC normalisation. */
export function normalise(password: string): string {
  return password.normalize('NFKC')
}
