/*
 * Runs the onedoor command as a subprocess without blocking this process's event loop: a test
 * server in this process must keep answering (and finishing its own transactions) meanwhile.
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { PROJECT_ROOT } from '../../src/config/index.js'

export interface CliResult {
  status: number
  stdout: string
  stderr: string
}

export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'node'),
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test', ONEDOOR_LOG_LEVEL: 'silent', ...env }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    )
  })
}
