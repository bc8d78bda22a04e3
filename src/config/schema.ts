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
  clients: z
    .strictObject({
      /** How long each process keeps a client's registration in memory: a change or suspension reaches every node within this. */
      cacheMs: z.number().int().min(0).max(300_000).default(2000),
    })
    .default({ cacheMs: 2000 }),
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
    /**
     * `onedoor keys rotate` refuses a rotation sooner than this after the previous one (`--force`
     * overrides, for a compromised key). A rotation activates the key the previous one published;
     * relying parties must have downloaded it by then, and openid-client refetches a JWKS for an
     * unknown kid at most once a minute (others cache it for minutes). 0 disables the check.
     */
    minRotationIntervalSeconds: z.number().int().min(0).max(30 * 86_400).default(600),
  }),
  shutdown: z.strictObject({
    /**
     * After SIGTERM, how long /readyz answers 503 while the node still serves every request
     * (new ones included, each answered with Connection: close), so that a load balancer polling
     * it stops routing here before the listener closes. Set it to the balancer's probe interval
     * times its failure threshold. In-flight requests then finish; the whole shutdown is cut at
     * 10 s (issue 6, drill 3).
     */
    readinessDelaySeconds: z.number().min(0).max(5),
  }),
  jobs: z.strictObject({
    /** Expired-row cleanup period. */
    cleanupIntervalSeconds: z.number().int().min(10),
    /**
     * Admin dashboard rollups: how often each node runs the refresh (one node at a time does it), and the
     * age at which the person counts (levels, MFA, registrations; a full pass over persons, seconds at
     * 10^7) are recomputed. The dashboard shows them "as of" that time; audit-event counts are always exact.
     */
    dashboardRefreshSeconds: z.number().int().min(5).default(60),
    dashboardPersonsMaxAgeSeconds: z.number().int().min(60).default(600),
  }),
  backchannelLogout: z.strictObject({
    /** Per-portal delivery timeout. */
    timeoutMs: z.number().int().min(100).max(30_000),
    /**
     * The longest a person's logout waits for portals to answer; deliveries still running then
     * finish (or are queued) in the background. Keep it below timeoutMs so that one slow portal
     * never shows in the logout. env: ONEDOOR_LOGOUT_WAIT_MS
     */
    userWaitMs: z.coerce.number().int().min(0).max(10_000).default(1500),
    /**
     * How long past timeoutMs a delivery being attempted stays leased (no other process's retry
     * job takes it): enough to sign, send and record the outcome. It is also how long a delivery
     * waits when the process attempting it dies mid-way (kill -9, a crashed host) before another
     * node retries it; shorter means a quicker retry, at the cost of a second copy (at least once)
     * if a process stalls for longer than this.
     */
    leaseMarginMs: z.number().int().min(1000).max(3_600_000).default(60_000),
    /** Retries of failed deliveries: exponential backoff from initialDelaySeconds, capped at maxDelaySeconds. */
    retry: z.strictObject({
      /** How often each server process looks for due deliveries. */
      intervalSeconds: z.number().int().min(1).max(3600).default(5),
      initialDelaySeconds: z.number().int().min(1).max(3600).default(10),
      maxDelaySeconds: z.number().int().min(1).max(86_400).default(1800),
      /** Attempts (the first included) before a delivery is abandoned; a logout token outliving the portal's own session is pointless. */
      maxAttempts: z.number().int().min(1).max(50).default(12),
      /** Deliveries one process claims per run. */
      batchSize: z.number().int().min(1).max(1000).default(100),
      /** Delivered and abandoned rows are purged from the queue after this long (the attempt log in logout_deliveries stays). */
      retentionDays: z.number().int().min(1).max(365).default(7),
    }).default({ intervalSeconds: 5, initialDelaySeconds: 10, maxDelaySeconds: 1800, maxAttempts: 12, batchSize: 100, retentionDays: 7 }),
  }),
  /** Real-name assurance levels (实名认证等级, issue 3). */
  assurance: z.strictObject({
    /**
     * acr value published for each level ("1".."3"); the only place acr strings appear. Level 1:
     * registered; 2: real-name verified; 3: level 2 plus TOTP in this sign-in.
     */
    acrByLevel: z.strictObject({ 1: z.string().min(1), 2: z.string().min(1), 3: z.string().min(1) }),
    /** Name + ID number check for level 2: `stub` (always matches; development and tests), `log` (matches and logs the request, no ID number), `http` (vendor). env: ONEDOOR_IDV_DRIVER */
    identityVerification: z.strictObject({
      driver: z.enum(['stub', 'log', 'http']),
      /** Vendor endpoint receiving {name, idNumber} as JSON and answering {match: boolean}. env: ONEDOOR_IDV_HTTP_URL */
      url: z.url({ protocol: /^https?$/ }).optional(),
      /** Secret. Sent as `Authorization: Bearer …`. env: ONEDOOR_IDV_HTTP_TOKEN */
      token: z.string().min(1).optional(),
      timeoutMs: z.number().int().min(100).max(30_000),
    }).refine((idv) => idv.driver !== 'http' || idv.url !== undefined, 'assurance.identityVerification.url is required when the driver is http'),
  }),
  /** Second factor (issue 3). The TOTP secret is sealed with secrets.piiEncryptionKey. */
  mfa: z.strictObject({
    totp: z.strictObject({
      /** Issuer label shown in authenticator apps. */
      issuer: z.string().min(1),
      /** RFC 6238 §5.2: steps accepted either side of now, for clock drift (0 or 1). */
      window: z.number().int().min(0).max(1),
      /** Wrong codes in one sign-in before it must restart. */
      maxAttempts: z.number().int().min(1).max(10),
    }),
    /** Single-use recovery codes issued at enrolment (shown once, stored hashed). */
    recoveryCodes: z.number().int().min(5).max(20),
  }),
  /** Identity self-service (issue 3, natural persons): SMS codes, sign-in throttling, account centre. */
  sms: z.strictObject({
    /** `log` writes to the sms_outbox table (development, tests); `http` posts to the vendor. */
    driver: z.enum(['log', 'http']),
    /** Code lifetime; at most 10 minutes. */
    codeTtlSeconds: z.number().int().min(60).max(600),
    /** Wrong guesses before a code is burnt. */
    codeMaxAttempts: z.number().int().min(1).max(10),
    /** Minimum gap between two codes to one phone. */
    resendIntervalSeconds: z.number().int().min(0).max(600),
    /** Codes per phone per hour, and per client IP per hour. */
    perPhonePerHour: z.number().int().min(1).max(100),
    perIpPerHour: z.number().int().min(1).max(10_000),
    http: z.strictObject({
      /** Vendor endpoint receiving {phone, template, params} as JSON. Required when driver is http. env: ONEDOOR_SMS_HTTP_URL */
      url: z.url({ protocol: /^https?$/ }).optional(),
      /** Secret. Sent as `Authorization: Bearer …`. env: ONEDOOR_SMS_HTTP_TOKEN */
      token: z.string().min(1).optional(),
      /** Vendor template id per message kind. */
      templates: z.strictObject({ register: z.string().min(1), login: z.string().min(1), reset: z.string().min(1) }),
      timeoutMs: z.number().int().min(100).max(30_000),
    }),
  }).refine((sms) => sms.driver !== 'http' || sms.http.url !== undefined, 'sms.http.url is required when sms.driver is http'),
  signIn: z.strictObject({
    /** NIST 800-63B §5.2.2: at most 100 failed attempts per account; counted per hour, shared by all processes. */
    failuresPerAccountPerHour: z.number().int().min(1).max(100),
    /** Failed attempts per client IP per hour (credential stuffing across many accounts). */
    failuresPerIpPerHour: z.number().int().min(1).max(100_000),
  }),
  accountCentre: z.strictObject({
    /**
     * Base URL the account centre uses to reach OneDoor's own token endpoint (it is a first-party
     * OIDC client). Unset = the issuer; set it when the issuer's public name does not resolve
     * from inside the deployment, e.g. http://127.0.0.1:3000. env: ONEDOOR_ACCOUNT_CENTRE_INTERNAL_URL
     */
    internalUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Account-centre session lifetime (also ends with the OneDoor session). */
    sessionSeconds: z.number().int().min(300).max(86_400),
  }),
  /** Administration (issue 5): console, admin API, the stricter admin sign-in policy. */
  admin: z.strictObject({
    /**
     * acr the console asks for (acr_values) and requires in the ID token: level 3 = two factors.
     * null accepts any sign-in — only for tests and development before MFA is deployed.
     */
    requiredAcr: z.string().min(1).nullable().default('urn:onedoor:loa:3'),
    /** Console sessions end after this long without a request (等保: 15 minutes). */
    idleMinutes: z.number().int().min(1).max(60).default(15),
    /** Failed admin sign-ins before the administrator is locked out, and for how long. */
    maxFailedSignIns: z.number().int().min(1).max(20).default(5),
    lockMinutes: z.number().int().min(1).max(1440).default(30),
    /**
     * Periodic password change (等保 level 3): an administrator whose password is older than this
     * (or met only the resident policy) must set a new one, under the administrators' policy,
     * before the console opens; the admin API answers 403 ADMIN_PASSWORD_EXPIRED meanwhile.
     */
    passwordMaxAgeDays: z.number().int().min(1).max(365).default(90),
  }).default({ requiredAcr: 'urn:onedoor:loa:3', idleMinutes: 15, maxFailedSignIns: 5, lockMinutes: 30, passwordMaxAgeDays: 90 }),
  /** The audit trail (issue 5). */
  audit: z.strictObject({
    /** Records stay in the database at least this long (网络安全法 Art. 21: not less than six months). */
    retentionDays: z.number().int().min(180).default(180),
  }).default({ retentionDays: 180 }),
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
  ONEDOOR_LOGOUT_WAIT_MS: 'backchannelLogout.userWaitMs',
  ONEDOOR_IDV_DRIVER: 'assurance.identityVerification.driver',
  ONEDOOR_IDV_HTTP_URL: 'assurance.identityVerification.url',
  ONEDOOR_IDV_HTTP_TOKEN: 'assurance.identityVerification.token',
  ONEDOOR_SMS_DRIVER: 'sms.driver',
  ONEDOOR_SMS_HTTP_URL: 'sms.http.url',
  ONEDOOR_SMS_HTTP_TOKEN: 'sms.http.token',
  ONEDOOR_ACCOUNT_CENTRE_INTERNAL_URL: 'accountCentre.internalUrl',
} as const

/** Secrets that a development start may generate, and that production must be given. */
export const GENERATABLE_SECRETS = {
  keyEncryptionKey: 'ONEDOOR_KEY_ENCRYPTION_KEY',
  cookieKeys: 'ONEDOOR_COOKIE_KEYS',
  piiEncryptionKey: 'ONEDOOR_PII_ENCRYPTION_KEY',
  piiBlindIndexKey: 'ONEDOOR_PII_BLIND_INDEX_KEY',
} as const
