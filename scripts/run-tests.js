#!/usr/bin/env node
/*
 * `npm test`: the whole suite on the embedded SQLite default, then again on PostgreSQL
 * (TEST_DATABASE_URL, default postgres://127.0.0.1:5432/test). Ends with the plain line
 * "N passed, N failed" that CI reads. Set ONEDOOR_TEST_DATABASES=sqlite to run one database.
 * test/scale/ (several nodes over one database, fault drills) runs on PostgreSQL only.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const databases = (process.env.ONEDOOR_TEST_DATABASES ?? 'sqlite,pg').split(',').map((s) => s.trim()).filter(Boolean)
const pgUrl = process.env.TEST_DATABASE_URL ?? 'postgres://127.0.0.1:5432/test'
// Files or globs given on the command line replace the default spec: `npm test -- test/unit/x.test.ts`.
const extraArgs = process.argv.slice(2)
const hasSpec = extraArgs.some((arg) => !arg.startsWith('-'))
const mochaArgs = hasSpec ? extraArgs : [...extraArgs, 'test/**/*.test.ts']
const workDir = mkdtempSync(path.join(tmpdir(), 'onedoor-tests-'))
let passed = 0
let failed = 0
let pending = 0
const failureLines = []

for (const database of databases) {
  const statsFile = path.join(workDir, `${database}.json`)
  process.stdout.write(`\n=== test suite on ${database === 'pg' ? `PostgreSQL (${pgUrl})` : 'SQLite'} ===\n`)
  // test/scale/ holds the multi-node and fault-drill tests: several OneDoor nodes need PostgreSQL.
  const databaseArgs = database === 'pg' ? mochaArgs : [...mochaArgs, '--ignore', 'test/scale/**']
  const result = spawnSync(process.execPath, [path.resolve('node_modules/mocha/bin/mocha.js'), ...databaseArgs], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'test', ONEDOOR_TEST_DB: database, TEST_DATABASE_URL: pgUrl, ONEDOOR_TEST_STATS: statsFile },
  })
  let stats = {}
  try {
    stats = JSON.parse(readFileSync(statsFile, 'utf8'))
  } catch {
    // mocha died before reporting: count the run as one failure
  }
  passed += stats.passes ?? 0
  failed += stats.failures ?? (result.status === 0 ? 0 : 1)
  pending += stats.pending ?? 0
  for (const f of stats.failureList ?? []) failureLines.push(`  ✗ [${database}] ${f.title}${f.file ? ` (${f.file})` : ''}\n      ${f.error}`)
  if (stats.failures === undefined && result.status !== 0) process.stdout.write(`mocha exited with status ${result.status} on ${database}\n`)
}
rmSync(workDir, { recursive: true, force: true })
// Repeat the failures just above the closing line: CI keeps only the tail of a long run.
if (failureLines.length > 0) process.stdout.write(`\nfailed:\n${failureLines.join('\n')}\n`)
process.stdout.write(`\n${passed} passed, ${failed} failed${pending ? `, ${pending} skipped` : ''}\n`)
process.exit(failed > 0 ? 1 : 0)
