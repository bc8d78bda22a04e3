/*
 * The server as `npm start` runs it (src/main.ts under Node 22 from node_modules): it prints
 * the issuer and next steps, answers /readyz, runs without oidc-provider's "Unsupported runtime"
 * warning, and on SIGTERM drains and exits 0 (issue 2, newcomer and Operations).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { PROJECT_ROOT } from '../../src/config/index.js'
import { createTestDatabase, freePort, TEST_SECRETS, type TestDatabase } from '../helpers/onedoor.js'

describe('the server process', function () {
  this.timeout(120_000) // starting Node and compiling TypeScript on a shared machine

  let database: TestDatabase
  before(() => {
    database = createTestDatabase()
  })
  after(async () => database?.drop())

  it('starts, says where it listens, is ready, and exits 0 on SIGTERM', async () => {
    const port = await freePort()
    const child = spawn(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'node'), ['--import', 'tsx', 'src/main.ts'], {
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

      child.kill('SIGTERM')
      assert.equal(await exited, 0)
      assert.match(stdout, /shutting down/)
      assert.doesNotMatch(stdout + stderr, /Unsupported runtime/i)
      assert.doesNotMatch(stderr, /Error/)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})
