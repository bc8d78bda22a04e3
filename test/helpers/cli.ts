/* Runs the `onedoor` CLI as a subprocess (Node 22 from node_modules, through tsx), as an operator would. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { PROJECT_ROOT } from '../../src/config/index.js'
import { TEST_SECRETS, type TestDatabase } from './onedoor.js'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

const NODE = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'node')

export function runCli(database: TestDatabase, args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', ONEDOOR_LOG_LEVEL: 'silent', ...TEST_SECRETS, ...database.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.stdin ?? '')
  })
}

/** The CLI contract for bad input: a non-zero exit and one line on stderr naming the reason, no stack trace. */
export function assertOneLineFailure(result: CliResult, reason: RegExp): void {
  assert.notEqual(result.code, 0, `expected a failure, got exit 0: ${result.stdout}`)
  const lines = result.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`)
  assert.match(lines[0], reason)
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
}
