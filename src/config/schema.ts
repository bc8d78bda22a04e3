/*
 * The one documented list of OneDoor settings. Every key is validated at start-up
 * (unknown keys are errors) and the result is frozen. Secrets are marked; they come
 * from the environment (or a *_FILE path) and are redacted when the config is printed.
 */
import * as z from 'zod'

const base64Key32 = z
  .string()
  .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64-encoded')

export const ConfigSchema = z.strictObject({
  /** Public issuer URL; must be https in production. env: ISSUER (default http://localhost:PORT) */
  issuer: z.url({ protocol: /^https?$/ }),
  /** env: PORT */
  port: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Interface to bind; unset = all interfaces. env: ONEDOOR_HOST */
  host: z.string().min(1).optional(),
  /** Where the embedded database and development secrets live. env: ONEDOOR_DATA_DIR */
  dataDir: z.string().min(1).default('data'),
  /** Trust X-Forwarded-* from the load balancer in front. env: ONEDOOR_TRUST_PROXY */
  trustProxy: z.boolean().default(false),
  db: z.strictObject({
    /** Derived from DATABASE_URL: a postgres:// URL selects PostgreSQL, anything else is a SQLite file. */
    client: z.enum(['sqlite3', 'pg']),
    /** Secret. SQLite file path (or sqlite: URL) or PostgreSQL URL. env: DATABASE_URL */
    url: z.string().min(1),
    /** SQLite durability: NORMAL survives process crashes in WAL mode; FULL also survives power loss. */
    sqliteSynchronous: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
    /** PostgreSQL schema to use (created if missing); unset = the connection's search_path. env: ONEDOOR_DB_SCHEMA */
    schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lowercase letters, digits and _ only').optional(),
    /** PostgreSQL pool size per process. */
    poolMax: z.number().int().min(1).max(200).default(10),
  }),
  secrets: z.strictObject({
    /** Secret. Encrypts private signing keys and client secrets at rest. env: ONEDOOR_KEY_ENCRYPTION_KEY */
    keyEncryptionKey: base64Key32,
    /** Secret. Cookie signing keys, newest first (older ones still verify). env: ONEDOOR_COOKIE_KEYS (comma-separated) */
    cookieKeys: z.array(z.string().min(32, 'cookie keys must be at least 32 characters')).min(1),
    /** Secret. AES-256-GCM key for ID numbers at rest. env: ONEDOOR_PII_ENCRYPTION_KEY */
    piiEncryptionKey: base64Key32,
    /** Secret. HMAC key of the blind index used to look ID numbers up. env: ONEDOOR_PII_BLIND_INDEX_KEY */
    piiBlindIndexKey: base64Key32,
    /** Where each secret came from; 'generated' ones are development defaults refused in production. */
    origin: z.record(z.string(), z.enum(['configured', 'generated'])).default({}),
  }),
  log: z.strictObject({
    /** env: ONEDOOR_LOG_LEVEL */
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }),
  passwords: z.strictObject({
    /** argon2id parameters; the defaults are OWASP's minimum (19 MiB, t=2, p=1). */
    argon2: z.strictObject({
      memoryKiB: z.number().int().min(19_456),
      timeCost: z.number().int().min(2),
      parallelism: z.number().int().min(1).max(8),
    }),
    /** Hashes running at once; more only queue, so database reads are not starved of libuv threads. */
    maxConcurrentHashes: z.number().int().min(1).max(64).default(2),
  }),
  tokens: z.strictObject({
    authorizationCodeSeconds: z.number().int().min(10).max(600),
    accessTokenSeconds: z.number().int().min(60).max(86_400),
    clientCredentialsSeconds: z.number().int().min(60).max(86_400),
    idTokenSeconds: z.number().int().min(60).max(86_400),
    refreshTokenSeconds: z.number().int().min(300),
    sessionSeconds: z.number().int().min(300),
    interactionSeconds: z.number().int().min(60).max(7200),
    grantSeconds: z.number().int().min(300),
  }),
  keys: z.strictObject({
    /** Signing algorithms, each with its own key; RS256 is mandatory per OIDC Core. */
    algorithms: z
      .array(z.enum(['RS256', 'PS256', 'ES256']))
      .min(1)
      .refine((algs) => algs.includes('RS256'), 'RS256 must be offered (OpenID Connect Core §15.1)'),
    /** How often each node checks the database for a rotated key set. */
    reloadIntervalSeconds: z.number().int().min(1).max(3600),
  }),
  jobs: z.strictObject({
    /** Expired-row cleanup period. */
    cleanupIntervalSeconds: z.number().int().min(10),
  }),
  backchannelLogout: z.strictObject({
    /** Per-portal delivery timeout. */
    timeoutMs: z.number().int().min(100).max(30_000),
  }),
})

export type Config = z.infer<typeof ConfigSchema>

/** Environment overrides: explicit and greppable, one line per key. */
export const ENV_OVERRIDES = {
  ISSUER: 'issuer',
  PORT: 'port',
  ONEDOOR_HOST: 'host',
  ONEDOOR_DATA_DIR: 'dataDir',
  DATABASE_URL: 'db.url',
  ONEDOOR_DB_SCHEMA: 'db.schema',
  ONEDOOR_TRUST_PROXY: 'trustProxy',
  ONEDOOR_KEY_ENCRYPTION_KEY: 'secrets.keyEncryptionKey',
  ONEDOOR_COOKIE_KEYS: 'secrets.cookieKeys',
  ONEDOOR_PII_ENCRYPTION_KEY: 'secrets.piiEncryptionKey',
  ONEDOOR_PII_BLIND_INDEX_KEY: 'secrets.piiBlindIndexKey',
  ONEDOOR_LOG_LEVEL: 'log.level',
} as const

/** Secrets that a development start may generate, and that production must be given. */
export const GENERATABLE_SECRETS = {
  keyEncryptionKey: 'ONEDOOR_KEY_ENCRYPTION_KEY',
  cookieKeys: 'ONEDOOR_COOKIE_KEYS',
  piiEncryptionKey: 'ONEDOOR_PII_ENCRYPTION_KEY',
  piiBlindIndexKey: 'ONEDOOR_PII_BLIND_INDEX_KEY',
} as const
