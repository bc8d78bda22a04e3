/*
 * Configuration loading: config/default.json, then config/<NODE_ENV>.json, then the file named
 * by ONEDOOR_CONFIG_FILE, then explicit overrides (tests), then the environment. The result is
 * validated against the strict schema (every bad path is listed) and frozen. No other module reads process.env.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigSchema, ENV_OVERRIDES, GENERATABLE_SECRETS, type Config } from './schema.js'

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv
  /** Deep-merged after the files and before the environment (tests use it). */
  overrides?: Record<string, unknown>
  configDir?: string
}

type Json = Record<string, unknown>

export function loadConfig(options: LoadOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env
  const nodeEnv = env.NODE_ENV ?? 'development'
  const configDir = options.configDir ?? path.join(PROJECT_ROOT, 'config')
  const raw = deepMerge(
    readJson(path.join(configDir, 'default.json')),
    readJson(path.join(configDir, `${nodeEnv}.json`), { optional: true }),
    // One more file, named by the environment: a deployment's own settings outside the source
    // tree (and the per-cluster settings `npm run cluster` and the multi-node tests hand to nodes).
    env.ONEDOOR_CONFIG_FILE ? readJson(path.resolve(env.ONEDOOR_CONFIG_FILE)) : {},
    options.overrides ?? {},
    fromEnv(env),
  )
  applyDerivedDefaults(raw)
  const problems: string[] = []
  const production = nodeEnv === 'production'
  fillSecrets(raw, { production, problems })
  const parsed = ConfigSchema.safeParse(raw)
  if (!parsed.success) {
    // A setting already explained above (a missing production secret) is not repeated in zod's words.
    const explained = new Set(problems.map((problem) => problem.slice(0, problem.indexOf(':'))))
    const fromVariable = envVariablesSet(env)
    for (const issue of parsed.error.issues) {
      // An unknown key is named by its full path (db.bogus), not only by its parent object.
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) problems.push(`${[...issue.path, key].join('.')}: unknown setting`)
        continue
      }
      const at = issue.path.join('.') || '(root)'
      if (explained.has(at)) continue
      // Named, never quoted: the variable may hold a secret.
      problems.push(`${at}: ${issue.message}${fromVariable.has(at) ? ` (set by ${fromVariable.get(at)})` : ''}`)
    }
  }
  if (production) {
    // Checked even when other settings are invalid: every problem is listed in one go.
    problems.push(...productionProblems({ issuer: String(raw.issuer) }))
  }
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(problems)
  }
  return deepFreeze(parsed.data)
}

function readJson(file: string, { optional = false } = {}): Json {
  if (!existsSync(file)) {
    if (optional) return {}
    throw new ConfigError([`${file}: file not found`])
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Json
  } catch (err) {
    throw new ConfigError([`${file}: not valid JSON (${(err as Error).message})`])
  }
}

/** Setting path → the environment variable that set it, for the settings this environment sets. */
function envVariablesSet(env: NodeJS.ProcessEnv): Map<string, string> {
  const set = new Map<string, string>()
  for (const [name, keyPath] of Object.entries(ENV_OVERRIDES)) {
    if (env[name]) set.set(keyPath, name)
    else if (env[`${name}_FILE`]) set.set(keyPath, `${name}_FILE`)
  }
  return set
}

/** Reads each override from the environment, or from the file named by <NAME>_FILE. */
function fromEnv(env: NodeJS.ProcessEnv): Json {
  const out: Json = {}
  for (const [name, keyPath] of Object.entries(ENV_OVERRIDES)) {
    let value = env[name]
    const file = env[`${name}_FILE`]
    if (value === undefined && file !== undefined) {
      value = readSecretFile(name, file)
    }
    if (value === undefined || value === '') continue
    setPath(out, keyPath, convertEnvValue(keyPath, value))
  }
  return out
}

function readSecretFile(name: string, file: string): string {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch (err) {
    throw new ConfigError([`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`])
  }
}

function convertEnvValue(keyPath: string, value: string): unknown {
  if (keyPath === 'trustProxy') return ['1', 'true', 'yes'].includes(value.toLowerCase())
  if (keyPath === 'secrets.cookieKeys') return value.split(',').map((k) => k.trim()).filter(Boolean)
  return value
}

function applyDerivedDefaults(raw: Json): void {
  // An invalid port is reported as such; the issuer derived from it would only add a second,
  // confusing problem ("issuer: Invalid URL" for PORT=abc).
  const port = /^\d{1,5}$/.test(String(raw.port ?? 3000)) ? (raw.port ?? 3000) : 3000
  raw.issuer ??= `http://localhost:${port}`
  const db = (raw.db ??= {}) as Json
  const dataDir = (raw.dataDir as string | undefined) ?? 'data'
  db.url ??= path.join(dataDir, 'onedoor.sqlite')
  db.client ??= /^postgres(ql)?:\/\//.test(String(db.url)) ? 'pg' : 'sqlite3'
}

/**
 * Development starts get generated secrets, persisted under dataDir so that sessions
 * and encrypted data survive restarts. Production refuses them and names the setting.
 */
function fillSecrets(raw: Json, { production, problems }: { production: boolean; problems: string[] }): void {
  const secrets = (raw.secrets ??= {}) as Json
  const origin: Record<string, string> = {}
  const missing = (Object.keys(GENERATABLE_SECRETS) as (keyof typeof GENERATABLE_SECRETS)[]).filter(
    (key) => secrets[key] === undefined,
  )
  for (const key of Object.keys(GENERATABLE_SECRETS)) origin[key] = missing.includes(key as never) ? 'generated' : 'configured'
  secrets.origin = origin
  if (missing.length === 0) return
  if (production) {
    for (const key of missing) {
      problems.push(`secrets.${key}: required in production; set ${GENERATABLE_SECRETS[key]} (or ${GENERATABLE_SECRETS[key]}_FILE)`)
    }
    return
  }
  const generated = loadOrCreateDevSecrets(String(raw.dataDir ?? 'data'))
  for (const key of missing) secrets[key] = generated[key]
}

function loadOrCreateDevSecrets(dataDir: string): Record<keyof typeof GENERATABLE_SECRETS, unknown> {
  const file = path.resolve(PROJECT_ROOT, dataDir, 'dev-secrets.json')
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'))
  const secrets = {
    keyEncryptionKey: randomBytes(32).toString('base64'),
    cookieKeys: [randomBytes(32).toString('base64url')],
    piiEncryptionKey: randomBytes(32).toString('base64'),
    piiBlindIndexKey: randomBytes(32).toString('base64'),
  }
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 })
  return secrets
}

function productionProblems(config: Pick<Config, 'issuer'>): string[] {
  const problems: string[] = []
  if (!config.issuer.startsWith('https://')) {
    problems.push(`issuer: must be an https URL in production; set ISSUER (now ${config.issuer})`)
  }
  return problems
}

/** The effective configuration with every secret replaced, for printing. */
export function redactConfig(config: Config): Json {
  const copy = JSON.parse(JSON.stringify(config)) as Json
  const secrets = copy.secrets as Json
  for (const key of Object.keys(GENERATABLE_SECRETS)) secrets[key] = '[redacted]'
  const db = copy.db as Json
  db.url = String(db.url).replace(/\/\/([^@/]*)@/, '//[redacted]@')
  const smsHttp = (copy.sms as Json | undefined)?.http as Json | undefined
  if (smsHttp?.token !== undefined) smsHttp.token = '[redacted]'
  const idv = ((copy.assurance as Json | undefined)?.identityVerification) as Json | undefined
  if (idv?.token !== undefined) idv.token = '[redacted]'
  return copy
}

function deepMerge(...sources: Json[]): Json {
  const out: Json = {}
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      const current = out[key]
      out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value
    }
  }
  return out
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function setPath(target: Json, keyPath: string, value: unknown): void {
  const parts = keyPath.split('.')
  let node = target
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Json
  node[parts.at(-1)!] = value
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
