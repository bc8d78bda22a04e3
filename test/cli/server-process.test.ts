/*
 * The server as `npm start` runs it (scripts/build.js, then dist/main.js as plain JavaScript
 * under Node 22 from node_modules, no tsx): it prints
 * the issuer and next steps, answers /readyz, runs without oidc-provider's "Unsupported runtime"
 * warning, and on SIGTERM drains and exits 0 (issue 2, newcomer and Operations).
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import path from 'node:path'
import { PROJECT_ROOT } from '../../src/config/index.js'
import { createTestDatabase, freePort, TEST_SECRETS, type TestDatabase } from '../helpers/onedoor.js'

describe('the server process', function () {
  this.timeout(120_000) // building and starting Node on a shared machine

  let database: TestDatabase
  const node = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'node')
  before(() => {
    database = createTestDatabase()
    // What `prestart` does: compile the sources to dist/.
    const build = spawnSync(node, ['scripts/build.js', '--quiet'], { cwd: PROJECT_ROOT, encoding: 'utf8' })
    assert.equal(build.status, 0, build.stderr)
  })
  after(async () => database?.drop())

  it('starts, says where it listens, is ready, and exits 0 on SIGTERM', async () => {
    const port = await freePort()
    const child = spawn(node, ['dist/main.js'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', ONEDOOR_LOG_LEVEL: 'info', ...TEST_SECRETS, ...database.env, PORT: String(port), ONEDOOR_HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          stdout += chunk
          if (stdout.includes('Next steps')) resolve()
        })
        void exited.then((code) => reject(new Error(`exited with ${code} before listening:\n${stdout}\n${stderr}`)))
      })
      assert.match(stdout, new RegExp(`issuer\\s+http://localhost:${port}`))
      assert.match(stdout, /\.well-known\/openid-configuration/)

      const ready = await fetch(`http://127.0.0.1:${port}/readyz`)
      assert.equal(ready.status, 200)
      const discovery = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)
      assert.equal(((await discovery.json()) as { issuer: string }).issuer, `http://localhost:${port}`)
      // Templates and stylesheet are found from the built output (views/ stays at the project root).
      const home = await fetch(`http://127.0.0.1:${port}/`)
      assert.equal(home.status, 200)
      assert.match(await home.text(), /<html/i)
      assert.equal((await fetch(`http://127.0.0.1:${port}/assets/onedoor.css`)).status, 200)

      child.kill('SIGTERM')
      assert.equal(await exited, 0)
      assert.match(stdout, /shutting down/)
      assert.doesNotMatch(stdout + stderr, /Unsupported runtime/i)
      assert.doesNotMatch(stderr, /Error/)
      // Migrations stay TypeScript, loaded by Node's own type stripping: no notice for operators.
      assert.doesNotMatch(stderr, /ExperimentalWarning|experimental/i)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })

  it('refuses to start on an unreachable database: exit 1, one line naming DATABASE_URL, the password not echoed', () => {
    const run: SpawnSyncReturns<string> = spawnSync(node, ['dist/main.js'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', ...TEST_SECRETS, DATABASE_URL: 'postgres://onedoor:hunter2-secret@127.0.0.1:1/onedoor' },
      encoding: 'utf8',
      timeout: 60_000,
    })
    assert.equal(run.status, 1, run.stdout + run.stderr)
    assert.match(run.stderr, /^OneDoor failed to start: .*ECONNREFUSED.*cannot reach the database: check DATABASE_URL/m)
    assert.doesNotMatch(run.stdout + run.stderr, /hunter2/)
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace')
  })

  // The machine's own Node.js (Debian's 20 here) is what a service manager or a shell runs
  // unless told otherwise; argon2's addon used to end it with a bare segmentation fault as it loaded.
  describe('started by an unsupported Node.js (this machine\'s own)', function () {
    const run = (systemNode: string, entry: string[]): SpawnSyncReturns<string> =>
      spawnSync(systemNode, entry, {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', ...TEST_SECRETS, ...database.env },
        encoding: 'utf8',
        timeout: 60_000,
      })
    let systemNode: string | undefined
    before(function () {
      systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((candidate) => {
        const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' })
        return version.status === 0 && /^v(1\d|2[0-1])\./.test(version.stdout)
      })
      // Skipped only on a machine with no Node.js older than 22 installed, where there is nothing to
      // start these with. This machine and CI have Debian's Node 20 at /usr/bin/node, so here it runs.
      if (!systemNode) this.skip()
    })

    it('the server and the built CLI stop with the reason and exit 1, no crash', () => {
      for (const entry of [['dist/main.js'], ['dist/cli.js', 'client', 'list']]) {
        const result = run(systemNode!, entry)
        assert.equal(result.signal, null, `${entry[0]} crashed (${result.signal}): ${result.stderr}`)
        assert.equal(result.status, 1, `${entry[0]}: ${result.stdout}${result.stderr}`)
        assert.match(result.stderr, /OneDoor needs Node\.js 22\.18 or later/)
        assert.match(result.stderr, /npm start/)
      }
    })

    it('the onedoor command runs itself on the project\'s Node.js instead, passing arguments and the exit status', () => {
      const listed = run(systemNode!, ['bin/onedoor.js', 'client', 'list', '--json'])
      assert.equal(listed.status, 0, listed.stderr)
      assert.ok(Array.isArray(JSON.parse(listed.stdout)), listed.stdout)
      assert.doesNotMatch(listed.stderr, /Unsupported runtime|needs Node/)
      const refused = run(systemNode!, ['bin/onedoor.js', 'person', 'add', '--name', 'x', '--id-number', '1', '--phone', '1', '--password', 'y'])
      assert.equal(refused.status, 1, refused.stderr)
      assert.match(refused.stderr, /ACCOUNT_ID_NUMBER_INVALID/)
    })
  })
})
