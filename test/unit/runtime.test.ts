/*
 * Which Node.js versions OneDoor accepts (package.json "engines": 22.18+ or 24+); the entry
 * points stop with this reason on any other (test/cli/server-process.test.ts runs them on one).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { PROJECT_ROOT } from '../../src/config/index.js'
import { unsupportedRuntimeReason } from '../../src/shared/runtime.js'

describe('supported Node.js versions', () => {
  it('accepts 22.18 and later 22s, and 24 or later', () => {
    for (const version of ['22.18.0', '22.22.1', '24.0.0', '24.21.0', '26.1.0']) assert.equal(unsupportedRuntimeReason(version, '/x/node'), undefined, version)
  })

  it('refuses older and odd releases, naming the version, the binary and what to run instead', () => {
    for (const version of ['20.20.2', '22.17.9', '23.11.0', '18.19.0']) {
      const reason = unsupportedRuntimeReason(version, '/usr/bin/node')
      assert.ok(reason, version)
      assert.match(reason, new RegExp(`this is v${version.replaceAll('.', '\\.')} \\(/usr/bin/node\\)`))
      assert.match(reason, /npm start/)
      assert.match(reason, /node_modules\/\.bin\/node dist\/main\.js/)
    }
  })

  it('agrees with package.json engines', () => {
    const engines = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node
    assert.equal(engines, '>=22.18.0 <23 || >=24')
  })
})
