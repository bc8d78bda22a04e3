import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { PROJECT_ROOT } from '../../src/config/index.js'
import { parseManifest, syncFederation, type Manifest, type ManifestInput } from '../../src/federation/index.js'
import { TEST_SECRETS, createTestDatabase } from '../helpers/onedoor.js'
import { federationFixture, type FederationFixture } from './fixtures.js'
import { runCli } from './run-cli.js'

const MANIFEST_FILE = path.join(PROJECT_ROOT, 'config', 'federation', 'manifest.json')
const committed = (): ManifestInput => JSON.parse(readFileSync(MANIFEST_FILE, 'utf8'))

function system(overrides: Record<string, unknown> = {}): ManifestInput['systems'][number] {
  return {
    clientId: 'hlj-test-230102',
    name: '道里区测试系统',
    divisionCode: '230102',
    portalUrl: 'https://230102.portal.example.gov.cn/',
    redirectUris: ['https://230102.portal.example.gov.cn/oidc/callback'],
    postLogoutRedirectUris: ['https://230102.portal.example.gov.cn/'],
    backchannelLogoutUri: 'https://230102.portal.example.gov.cn/oidc/backchannel-logout',
    allowedScopes: ['openid', 'profile'],
    ...overrides,
  } as ManifestInput['systems'][number]
}

const manifestOf = (...systems: ManifestInput['systems']): Manifest => parseManifest({ version: 1, systems })

describe('federation manifest', () => {
  it('lists the provincial portal, the three platform systems and every prefecture and county (138)', () => {
    const manifest = parseManifest(committed())
    assert.equal(manifest.systems.length, 138)
    const names = manifest.systems.map((s) => s.name)
    for (const expected of ['黑龙江政务服务网', '黑龙江省审批业务系统', '黑龙江省电子监察系统', '黑龙江省法制监督系统']) assert.ok(names.includes(expected), expected)
    const divisions = new Set(manifest.systems.map((s) => s.divisionCode))
    assert.equal(divisions.size, 1 + 13 + 121)
    const daoli = manifest.systems.find((s) => s.divisionCode === '230102')!
    assert.equal(daoli.portalUrl, 'https://230102.portal.example.gov.cn/')
    assert.equal(new Set(manifest.systems.map((s) => s.clientId)).size, 138)
  })

  it('is what scripts/generate-federation-manifest.ts produces from the division data', () => {
    const out = path.join(createTestDatabase().dataDir, 'manifest.json')
    const run = spawnSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'node'), ['--import', 'tsx', 'scripts/generate-federation-manifest.ts', out], { cwd: PROJECT_ROOT, encoding: 'utf8' })
    assert.equal(run.status, 0, run.stderr)
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), committed())
  })
})

describe('federation sync', () => {
  let fixture: FederationFixture
  beforeEach(async () => {
    fixture = await federationFixture()
  })
  afterEach(async () => fixture?.close())

  const clientCount = async () => (await fixture.services.clients.list()).length

  it('creates all 138 systems, then a second run changes nothing', async () => {
    const manifest = parseManifest(committed())
    const first = await syncFederation(fixture.services.federation, manifest)
    assert.equal(first.created.length, 138)
    assert.equal(first.secrets.length, 138)
    const second = await syncFederation(fixture.services.federation, manifest)
    assert.deepEqual([second.created.length, second.updated.length, second.suspended.length, second.unchanged, second.secrets.length], [0, 0, 0, 138, 0])
    const daoli = await fixture.services.clients.findRecord('hlj-230102')
    assert.equal(daoli!.divisionCode, '230102')
    assert.equal(daoli!.source, 'manifest')
    assert.equal(daoli!.consentPolicy, 'implicit')
    assert.equal(daoli!.portalUrl, 'https://230102.portal.example.gov.cn/')
    assert.equal(daoli!.metadata.subject_type, 'pairwise')
    assert.equal(daoli!.metadata.scope, 'openid profile phone')
    const approval = await fixture.services.clients.findRecord('hlj-platform-approval')
    assert.equal(approval!.sector, 'hlj-platform')
  })

  it('publishes a required assurance level as default_acr_values and stores the federation columns', async () => {
    await syncFederation(fixture.services.federation, manifestOf(system({ requiredAssuranceLevel: 2, consentPolicy: 'explicit', sector: 'hlj-harbin' })))
    const record = await fixture.services.clients.findRecord('hlj-test-230102')
    assert.deepEqual(record!.metadata.default_acr_values, [fixture.config.assurance.acrByLevel['2']])
    assert.equal(record!.requiredAssuranceLevel, 2)
    assert.equal(record!.consentPolicy, 'explicit')
    assert.equal(record!.sector, 'hlj-harbin')
    const metadata = await fixture.services.clients.findMetadata('hlj-test-230102')
    assert.equal(metadata!.onedoor_sector, 'hlj-harbin', 'the provider sees the sector')
  })

  it('reports a dry run without writing anything', async () => {
    const result = await syncFederation(fixture.services.federation, manifestOf(system()), { dryRun: true })
    assert.equal(result.created.length, 1)
    assert.equal(result.secrets.length, 0)
    assert.equal(await clientCount(), 0)
  })

  it('updates changed fields, keeps the secret, and suspends systems removed from the manifest', async () => {
    const other = system({ clientId: 'hlj-test-230103', divisionCode: '230103', name: '南岗区测试系统' })
    const created = await syncFederation(fixture.services.federation, manifestOf(system(), other))
    const secret = created.secrets.find((s) => s.clientId === 'hlj-test-230102')!.clientSecret
    const result = await syncFederation(fixture.services.federation, manifestOf(system({ name: '道里区政务服务系统', allowedScopes: ['openid', 'profile', 'phone'] })))
    assert.deepEqual(result.updated.map((u) => [u.clientId, u.fields]), [['hlj-test-230102', ['name', 'client_name', 'scope']]])
    assert.deepEqual(result.suspended.map((s) => s.clientId), ['hlj-test-230103'])
    assert.equal(result.secrets.length, 0)
    const metadata = await fixture.services.clients.findMetadata('hlj-test-230102')
    assert.equal(metadata!.client_secret, secret, 'the existing secret is kept')
    assert.equal(metadata!.scope, 'openid profile phone')
    assert.equal((await fixture.services.clients.findRecord('hlj-test-230103'))!.status, 'suspended')
    const audited = await fixture.db('audit_events').whereIn('type', ['admin.client.created', 'admin.client.updated', 'admin.client.suspended']).orderBy('seq')
    assert.deepEqual(audited.map((r) => r.type), ['admin.client.created', 'admin.client.created', 'admin.client.updated', 'admin.client.suspended'], 'each change is in the audit trail')
    // Back in the manifest: active again.
    const back = await syncFederation(fixture.services.federation, manifestOf(system({ name: '道里区政务服务系统', allowedScopes: ['openid', 'profile', 'phone'] }), other))
    assert.deepEqual(back.updated.map((u) => [u.clientId, u.fields]), [['hlj-test-230103', ['status']]])
  })

  it('never suspends systems registered outside the manifest', async () => {
    await fixture.services.federation.clients.insert({ clientId: 'manual-one', name: 'by hand', metadata: { redirect_uris: ['https://x.example/cb'] } })
    const result = await syncFederation(fixture.services.federation, manifestOf(system()))
    assert.deepEqual(result.suspended, [])
  })

  describe('refuses a bad manifest, lists every problem and applies nothing', () => {
    async function expectProblems(manifest: Manifest, expected: RegExp[], options = {}) {
      await syncFederation(fixture.services.federation, manifestOf(system({ clientId: 'hlj-existing', divisionCode: '230100' })))
      const before = await fixture.services.clients.list()
      await assert.rejects(syncFederation(fixture.services.federation, manifest, options), (err: { code: string; details: { problems: string[] } }) => {
        assert.equal(err.code, 'FEDERATION_MANIFEST_INVALID')
        assert.equal(err.details.problems.length, expected.length, err.details.problems.join('\n'))
        for (const pattern of expected) assert.ok(err.details.problems.some((p) => pattern.test(p)), `${pattern} in ${err.details.problems.join('\n')}`)
        return true
      })
      assert.deepEqual(await fixture.services.clients.list(), before, 'nothing applied (no create, update or suspend)')
    }

    it('unknown division code, retired code and statistical-only unit', async () => {
      await expectProblems(
        manifestOf(
          system({ clientId: 'a-1', divisionCode: '239999' }),
          system({ clientId: 'a-2', divisionCode: '230182' }),
          system({ clientId: 'a-3', divisionCode: '232761' }),
          system({ clientId: 'a-ok', divisionCode: '230103' }),
        ),
        [/a-1.*unknown division code 239999/, /a-2.*retired in 2014; now 230113/, /a-3.*statistical-only/],
      )
    })

    it('duplicate client ids', async () => {
      await expectProblems(manifestOf(system({ clientId: 'dup' }), system({ clientId: 'ok-1' }), system({ clientId: 'dup', divisionCode: '230103' })), [/systems\[2\] \(dup\): duplicate client id: also systems\[0\]/])
    })

    it('a client id already registered outside the manifest', async () => {
      await fixture.services.federation.clients.insert({ clientId: 'taken-by-hand', name: 'x', metadata: {}, federation: { source: 'onboard' } })
      await expectProblems(manifestOf(system({ clientId: 'taken-by-hand' })), [/taken-by-hand.*registered outside the manifest/])
    })

    it('http redirect URIs in production', async () => {
      await expectProblems(
        manifestOf(system({ redirectUris: ['http://230102.portal.example.gov.cn/cb'], backchannelLogoutUri: 'http://230102.portal.example.gov.cn/bc' })),
        [/redirectUris\[0\]: http is not allowed in production/, /backchannelLogoutUri: http is not allowed in production/],
        { requireHttps: true },
      )
    })

    it('malformed URIs', async () => {
      await expectProblems(
        manifestOf(system({ redirectUris: ['not a uri'], postLogoutRedirectUris: ['https://ok.example/#frag'], portalUrl: 'ftp://x.example/' })),
        [/portalUrl: must be an http\(s\) URI/, /redirectUris\[0\]: malformed URI/, /postLogoutRedirectUris\[0\]: must not contain a fragment/],
      )
    })

    it('metadata the provider refuses (an unknown scope)', async () => {
      await expectProblems(manifestOf(system({ allowedScopes: ['openid', 'no-such-scope'] })), [/invalid client metadata: scope/])
    })
  })

  it('rejects a manifest that does not match the schema, naming each entry', () => {
    assert.throws(
      () => parseManifest({ version: 1, systems: [{ ...system({ clientId: 'hlj-x' }), divisionCode: '23' }, { ...system(), unknownKey: 1 }] }),
      (err: { code: string; details: { problems: string[] } }) => {
        assert.equal(err.code, 'FEDERATION_MANIFEST_INVALID')
        assert.ok(err.details.problems.some((p) => /systems\[0\] \(hlj-x\)\.divisionCode/.test(p)), err.details.problems.join('\n'))
        assert.ok(err.details.problems.some((p) => /systems\[1\].*unknownKey/.test(p)), err.details.problems.join('\n'))
        return true
      },
    )
  })
})

describe('onedoor federation sync (command line)', function () {
  // Each command is a fresh Node process with tsx: slow on a loaded machine.
  this.timeout(180_000)
  const database = createTestDatabase()
  after(async () => database.drop())
  const run = (...args: string[]) => runCli(['federation', 'sync', ...args], { ...TEST_SECRETS, ...database.env })

  it('applies a manifest, writes new secrets to a file, and changes nothing the second time', async () => {
    const manifest = path.join(database.dataDir, 'manifest.json')
    writeFileSync(manifest, JSON.stringify({ version: 1, systems: [system(), system({ clientId: 'hlj-test-230103', divisionCode: '230103' })] }))
    const dry = await run('--dry-run', '--manifest', manifest)
    assert.equal(dry.status, 0, dry.stderr)
    assert.match(dry.stdout, /dry run: 2 created, 0 updated, 0 suspended, 0 unchanged/)
    const secrets = path.join(database.dataDir, 'secrets.json')
    const first = await run('--manifest', manifest, '--secrets-file', secrets)
    assert.equal(first.status, 0, first.stderr)
    assert.match(first.stdout, /2 created/)
    assert.doesNotMatch(first.stdout, /client_secret|"[A-Za-z0-9_-]{43}"/)
    assert.equal(JSON.parse(readFileSync(secrets, 'utf8')).length, 2)
    assert.equal(statSync(secrets).mode & 0o777, 0o600)
    const second = await run('--manifest', manifest)
    assert.equal(second.status, 0, second.stderr)
    assert.match(second.stdout, /0 created, 0 updated, 0 suspended, 2 unchanged/)
  })

  it('lists every problem on stderr and exits non-zero', async () => {
    const manifest = path.join(database.dataDir, 'bad.json')
    writeFileSync(manifest, JSON.stringify({ version: 1, systems: [system({ clientId: 'bad-1', divisionCode: '111111' }), system({ clientId: 'bad-2', redirectUris: ['::'] })] }))
    const result = await run('--manifest', manifest)
    assert.equal(result.status, 1)
    assert.match(result.stderr, /bad-1.*unknown division code 111111/)
    assert.match(result.stderr, /bad-2.*malformed URI/)
    assert.match(result.stderr, /2 problem\(s\) found; nothing was applied/)
    assert.ok(!existsSync(path.join(database.dataDir, 'never.json')))
  })

  it('refuses a missing manifest file with one line', async () => {
    const result = await run('--manifest', '/nonexistent/manifest.json')
    assert.equal(result.status, 1)
    assert.match(result.stderr, /cannot be read/)
  })
})
