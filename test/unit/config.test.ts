import assert from 'node:assert/strict'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ConfigError, loadConfig, PROJECT_ROOT, redactConfig, type LoadOptions } from '../../src/config/index.js'

const SECRETS = {
  ONEDOOR_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  ONEDOOR_COOKIE_KEYS: 'unit-test-cookie-key-0123456789abcdefghijkl,older-cookie-key-0123456789abcdefghijklmn',
  ONEDOOR_PII_ENCRYPTION_KEY: Buffer.alloc(32, 8).toString('base64'),
  ONEDOOR_PII_BLIND_INDEX_KEY: Buffer.alloc(32, 9).toString('base64'),
}

/** The problems a ConfigError lists, or a failure when loading succeeds. */
function problemsOf(options: LoadOptions): string[] {
  try {
    loadConfig(options)
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`)
    return err.problems
  }
  assert.fail('expected the configuration to be refused')
}

describe('configuration', () => {
  let dataDir: string
  let configDir: string
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'onedoor-config-'))
    // Only the shipped defaults: a config/<NODE_ENV>.json added later must not change these tests.
    configDir = mkdtempSync(path.join(tmpdir(), 'onedoor-config-dir-'))
    copyFileSync(path.join(PROJECT_ROOT, 'config', 'default.json'), path.join(configDir, 'default.json'))
  })
  after(() => {
    rmSync(dataDir, { recursive: true, force: true })
    rmSync(configDir, { recursive: true, force: true })
  })

  const env = (extra: Record<string, string> = {}) => ({ NODE_ENV: 'development', ONEDOOR_DATA_DIR: dataDir, ...SECRETS, ...extra })

  describe('defaults and environment overrides', () => {
    it('defaults to port 3000, an http://localhost issuer and a SQLite file under dataDir', () => {
      const config = loadConfig({ env: env(), configDir })
      assert.equal(config.port, 3000)
      assert.equal(config.issuer, 'http://localhost:3000')
      assert.equal(config.db.client, 'sqlite3')
      assert.equal(config.db.url, path.join(dataDir, 'onedoor.sqlite'))
    })

    it('derives the issuer from PORT and selects PostgreSQL for a postgres:// DATABASE_URL', () => {
      const config = loadConfig({ env: env({ PORT: '4100', DATABASE_URL: 'postgres://db.internal:5432/onedoor' }), configDir })
      assert.equal(config.port, 4100)
      assert.equal(config.issuer, 'http://localhost:4100')
      assert.equal(config.db.client, 'pg')
      assert.equal(config.db.url, 'postgres://db.internal:5432/onedoor')
    })

    it('takes ISSUER as given and splits ONEDOOR_COOKIE_KEYS on commas', () => {
      const config = loadConfig({ env: env({ ISSUER: 'https://id.example.gov.cn' }), configDir })
      assert.equal(config.issuer, 'https://id.example.gov.cn')
      assert.equal(config.secrets.cookieKeys.length, 2)
    })

    it('reads a secret from the file named by <NAME>_FILE', () => {
      const file = path.join(dataDir, 'kek')
      const key = Buffer.alloc(32, 5).toString('base64')
      writeFileSync(file, `${key}\n`)
      const { ONEDOOR_KEY_ENCRYPTION_KEY: _omitted, ...rest } = env()
      const config = loadConfig({ env: { ...rest, ONEDOOR_KEY_ENCRYPTION_KEY_FILE: file }, configDir })
      assert.equal(config.secrets.keyEncryptionKey, key)
    })

    it('names the *_FILE variable whose file cannot be read', () => {
      const { ONEDOOR_PII_ENCRYPTION_KEY: _omitted, ...rest } = env()
      const problems = problemsOf({ env: { ...rest, ONEDOOR_PII_ENCRYPTION_KEY_FILE: path.join(dataDir, 'missing') }, configDir })
      assert.ok(problems.some((p) => p.startsWith('ONEDOOR_PII_ENCRYPTION_KEY_FILE:')), problems.join('\n'))
    })

    it('returns a frozen configuration', () => {
      const config = loadConfig({ env: env(), configDir })
      assert.ok(Object.isFrozen(config) && Object.isFrozen(config.db) && Object.isFrozen(config.secrets.cookieKeys))
      assert.throws(() => {
        ;(config as { port: number }).port = 1
      }, TypeError)
    })

    it('generates development secrets once and reuses them on the next start', () => {
      const devDir = mkdtempSync(path.join(tmpdir(), 'onedoor-devsecrets-'))
      try {
        const first = loadConfig({ env: { NODE_ENV: 'development', ONEDOOR_DATA_DIR: devDir }, configDir })
        assert.ok(existsSync(path.join(devDir, 'dev-secrets.json')))
        assert.equal(first.secrets.origin.keyEncryptionKey, 'generated')
        const second = loadConfig({ env: { NODE_ENV: 'development', ONEDOOR_DATA_DIR: devDir }, configDir })
        assert.equal(second.secrets.keyEncryptionKey, first.secrets.keyEncryptionKey)
        assert.deepEqual(second.secrets.cookieKeys, first.secrets.cookieKeys)
      } finally {
        rmSync(devDir, { recursive: true, force: true })
      }
    })

    it('redacts every secret and database credentials for printing', () => {
      const config = loadConfig({ env: env({ DATABASE_URL: 'postgres://onedoor:hunter2@db:5432/onedoor' }), configDir })
      const printed = JSON.stringify(redactConfig(config))
      for (const secret of [...Object.values(SECRETS), 'hunter2']) {
        for (const part of secret.split(',')) assert.ok(!printed.includes(part), 'a secret is printed')
      }
      assert.ok(printed.includes('[redacted]'))
    })

    it('merges the file named by ONEDOOR_CONFIG_FILE over the files, under the environment', () => {
      const file = path.join(dataDir, 'deployment.json')
      writeFileSync(file, JSON.stringify({ port: 4100, keys: { reloadIntervalSeconds: 2 }, signIn: { failuresPerAccountPerHour: 7 } }))
      const config = loadConfig({ env: env({ ONEDOOR_CONFIG_FILE: file, PORT: '4200' }), configDir })
      assert.equal(config.keys.reloadIntervalSeconds, 2)
      assert.equal(config.signIn.failuresPerAccountPerHour, 7)
      assert.equal(config.signIn.failuresPerIpPerHour, 1000, 'the rest of the object keeps its defaults')
      assert.equal(config.port, 4200, 'the environment still wins')
      const missing = path.join(dataDir, 'missing.json')
      assert.deepEqual(problemsOf({ env: env({ ONEDOOR_CONFIG_FILE: missing }), configDir }), [`${missing}: file not found`])
    })
  })

  describe('validation', () => {
    it('refuses an unknown key, naming its full path', () => {
      const problems = problemsOf({ env: env(), configDir, overrides: { colour: 'red', db: { poolMaxx: 3 } } })
      assert.ok(problems.some((p) => p.startsWith('colour:')), problems.join('\n'))
      assert.ok(problems.some((p) => p.startsWith('db.poolMaxx:')), problems.join('\n'))
    })

    it('lists every invalid value at once, each with its path', () => {
      const problems = problemsOf({
        env: env({ PORT: 'eighty' }),
        configDir,
        overrides: { passwords: { argon2: { memoryKiB: 1024 } }, log: { level: 'chatty' }, tokens: { accessTokenSeconds: -5 } },
      })
      for (const keyPath of ['port', 'passwords.argon2.memoryKiB', 'log.level', 'tokens.accessTokenSeconds']) {
        assert.ok(problems.some((p) => p.startsWith(`${keyPath}:`)), `${keyPath} missing from:\n${problems.join('\n')}`)
      }
    })

    it('reports a bad PORT once, naming the variable, and not again as an invalid derived issuer', () => {
      const problems = problemsOf({ env: env({ PORT: 'abc' }), configDir })
      assert.equal(problems.length, 1, problems.join('\n'))
      assert.match(problems[0], /^port: .*\(set by PORT\)$/)
    })

    it('names the variable behind a bad setting but never quotes its value (it may be a secret)', () => {
      const problems = problemsOf({ env: env({ ONEDOOR_PII_ENCRYPTION_KEY: 'c2hvcnQ=' }), configDir })
      const problem = problems.find((p) => p.startsWith('secrets.piiEncryptionKey:'))
      assert.ok(problem, problems.join('\n'))
      assert.match(problem, /\(set by ONEDOOR_PII_ENCRYPTION_KEY\)$/)
      assert.ok(!problems.join('\n').includes('c2hvcnQ='), 'the value is printed')
    })

    it('requires RS256 among the signing algorithms (OIDC Core §15.1)', () => {
      const problems = problemsOf({ env: env(), configDir, overrides: { keys: { algorithms: ['ES256'] } } })
      assert.ok(problems.some((p) => p.startsWith('keys.algorithms:') && p.includes('RS256')), problems.join('\n'))
    })

    it('refuses malformed secrets', () => {
      const problems = problemsOf({ env: env({ ONEDOOR_KEY_ENCRYPTION_KEY: 'c2hvcnQ=', ONEDOOR_COOKIE_KEYS: 'short' }), configDir })
      assert.ok(problems.some((p) => p.startsWith('secrets.keyEncryptionKey:')), problems.join('\n'))
      assert.ok(problems.some((p) => p.startsWith('secrets.cookieKeys')), problems.join('\n'))
    })

    it('says which file is not valid JSON', () => {
      const brokenDir = mkdtempSync(path.join(tmpdir(), 'onedoor-config-broken-'))
      try {
        writeFileSync(path.join(brokenDir, 'default.json'), readFileSync(path.join(configDir, 'default.json'), 'utf8'))
        writeFileSync(path.join(brokenDir, 'development.json'), '{ "port": ')
        const problems = problemsOf({ env: env(), configDir: brokenDir })
        assert.ok(problems.some((p) => p.includes('development.json') && p.includes('not valid JSON')), problems.join('\n'))
      } finally {
        rmSync(brokenDir, { recursive: true, force: true })
      }
    })
  })

  describe('NODE_ENV=production', () => {
    const production = (extra: Record<string, string>) => ({ NODE_ENV: 'production', ONEDOOR_DATA_DIR: dataDir, ...extra })

    it('refuses an http issuer and names ISSUER', () => {
      const problems = problemsOf({ env: production({ ...SECRETS, ISSUER: 'http://id.example.gov.cn' }), configDir })
      assert.ok(problems.some((p) => p.startsWith('issuer:') && p.includes('ISSUER')), problems.join('\n'))
    })

    it('refuses the default issuer (no ISSUER set)', () => {
      const problems = problemsOf({ env: production(SECRETS), configDir })
      assert.ok(problems.some((p) => p.startsWith('issuer:')), problems.join('\n'))
    })

    it('refuses to generate secrets and names the environment variable to set for each', () => {
      const problems = problemsOf({ env: production({ ISSUER: 'https://id.example.gov.cn' }), configDir })
      for (const variable of ['ONEDOOR_KEY_ENCRYPTION_KEY', 'ONEDOOR_COOKIE_KEYS', 'ONEDOOR_PII_ENCRYPTION_KEY', 'ONEDOOR_PII_BLIND_INDEX_KEY']) {
        assert.ok(problems.some((p) => p.includes(variable)), `${variable} not named in:\n${problems.join('\n')}`)
      }
      assert.ok(!existsSync(path.join(dataDir, 'dev-secrets.json')), 'no development secrets written in production')
      // One line per missing secret: not followed by the schema's own "expected string, received undefined".
      for (const key of ['keyEncryptionKey', 'cookieKeys', 'piiEncryptionKey', 'piiBlindIndexKey']) {
        assert.equal(problems.filter((p) => p.startsWith(`secrets.${key}:`)).length, 1, problems.join('\n'))
      }
    })

    it('lists an http issuer and missing secrets together', () => {
      const problems = problemsOf({ env: production({ ISSUER: 'http://id.example.gov.cn' }), configDir })
      assert.ok(problems.some((p) => p.startsWith('issuer:')), problems.join('\n'))
      assert.ok(problems.some((p) => p.includes('ONEDOOR_KEY_ENCRYPTION_KEY')), problems.join('\n'))
    })

    it('starts with an https issuer and every secret supplied', () => {
      const config = loadConfig({ env: production({ ...SECRETS, ISSUER: 'https://id.example.gov.cn' }), configDir })
      assert.equal(config.issuer, 'https://id.example.gov.cn')
      assert.ok(Object.values(config.secrets.origin).every((origin) => origin === 'configured'))
    })
  })
})
