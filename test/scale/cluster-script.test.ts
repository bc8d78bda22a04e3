/*
 * `npm run cluster` as a person runs it (issue 6): npm builds dist/ first, and every node runs
 * the built dist/main.js with the runtime settings of `npm start` (node flags and environment
 * defaults read from package.json's start script), never the TypeScript sources through tsx.
 * Ctrl-C stops the proxy and every node.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { PROJECT_ROOT } from '../../src/config/index.js'
import { parseStartScript, readStartCommand } from '../../src/cluster/start-script.js'
import { freePortRun } from '../../src/shared/free-port.js'
import { createTestDatabase, TEST_SECRETS, type TestDatabase } from '../helpers/onedoor.js'

const BANNER = 'OneDoor cluster is running'

describe('npm run cluster (issue 6)', function () {
  this.timeout(180_000)
  let database: TestDatabase
  let cluster: ChildProcess | undefined
  let output = ''

  before(() => {
    database = createTestDatabase()
  })
  after(async () => {
    // The whole process group npm started (npm, the script, the nodes), if anything is left.
    if (cluster?.exitCode === null && cluster.signalCode === null) process.kill(-cluster.pid!, 'SIGKILL')
    await database?.drop()
  })

  it('builds, runs each node from dist/main.js with the start script\'s settings, serves through the proxy and stops on Ctrl-C', async () => {
    const startedAt = Date.now()
    // The proxy takes `port` and the two nodes the ports after it.
    const port = await freePortRun(3)
    cluster = spawn('npm', ['run', 'cluster', '--', '--port', String(port)], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: `${path.join(PROJECT_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        HOME: process.env.HOME ?? '/tmp',
        NODE_ENV: 'test',
        ONEDOOR_LOG_LEVEL: 'warn',
        ...TEST_SECRETS,
        ...database.env,
      },
      detached: true, // its own process group: Ctrl-C reaches npm, the script and the nodes
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise<number | null>((resolve) => cluster!.once('exit', (code) => resolve(code)))
    for (const stream of [cluster.stdout!, cluster.stderr!]) stream.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    await new Promise<void>((resolve, reject) => {
      const check = () => (output.includes(BANNER) ? resolve() : undefined)
      cluster!.stdout!.on('data', check)
      void exited.then((code) => reject(new Error(`npm run cluster exited (${code}) before it was running:\n${output}`)))
    })

    assert.ok(statSync(path.join(PROJECT_ROOT, 'dist', 'main.js')).mtimeMs >= startedAt - 1000, 'dist/main.js was built by this run')
    const discovery = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)
    assert.equal(discovery.status, 200)
    assert.equal(((await discovery.json()) as { issuer: string }).issuer, `http://127.0.0.1:${port}`, 'the proxy is the issuer')

    const pids = [...output.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]))
    assert.equal(pids.length, 2, output)
    const start = readStartCommand()
    for (const pid of pids) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
      assert.equal(argv.at(-1), 'dist/main.js', `node ${pid} runs the build: ${argv.join(' ')}`)
      assert.ok(!argv.includes('tsx'), `no tsx: ${argv.join(' ')}`)
      for (const flag of start.nodeFlags) assert.ok(argv.includes(flag), `${flag} as in npm start: ${argv.join(' ')}`)
      assert.ok(argv.includes('--max-old-space-size=512'), 'the heap cap of npm start')
      assert.ok(environ.includes('MALLOC_ARENA_MAX=1'), 'the allocator setting of npm start')
    }

    process.kill(-cluster.pid!, 'SIGINT')
    await exited
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `node ${pid} stopped with the cluster`)
  })

  it('reads npm start\'s runtime settings, and refuses a start script of another shape', () => {
    assert.deepEqual(parseStartScript('MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-1} node --max-semi-space-size=4 --max-old-space-size=512 dist/main.js'), {
      envDefaults: { MALLOC_ARENA_MAX: '1' },
      nodeFlags: ['--max-semi-space-size=4', '--max-old-space-size=512'],
      entry: 'dist/main.js',
    })
    assert.throws(() => parseStartScript('tsx src/main.ts'), /package.json "start" is not of the form/)
    assert.throws(() => parseStartScript('node dist/main.js && echo done'), /not of the form/)
  })
})
