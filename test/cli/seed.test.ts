/*
 * `onedoor seed` (issue 6, ten million accounts): synthetic accounts written in bulk must be
 * indistinguishable from registered ones to every reader: valid checksums, ID numbers sealed and
 * blind-indexed with the configured keys (so the real login and the administrators' search find
 * them), unique phones, enterprises with a seeded legal representative, spread over the
 * province's prefectures. Reruns add accounts without collisions; bad arguments write nothing.
 */
import assert from 'node:assert/strict'
import { parseIdNumber, parsePhone, parseUscc } from '../../src/accounts/index.js'
import { PREFECTURE_POPULATION_2020, seededPhone } from '../../src/seed/index.js'
import { blindIndex, keyFromBase64, open } from '../../src/shared/crypto.js'
import { createDb } from '../../src/store/db.js'
import { addAdmin, adminToken, api } from '../admin/admin-helpers.js'
import { assertOneLineFailure, runCli } from '../helpers/cli.js'
import { useTestDb } from '../helpers/database.js'
import { createTestDatabase, randomIdNumber, startOneDoor, testConfig, testDbKind, TEST_SECRETS, type TestServer } from '../helpers/onedoor.js'
import { signIn } from '../helpers/sign-in.js'

const PASSWORD = 'seeded passphrase for every account'
const REDIRECT_URI = 'https://portal.seed.example/callback'
const piiKey = keyFromBase64(TEST_SECRETS.ONEDOOR_PII_ENCRYPTION_KEY)
const indexKey = keyFromBase64(TEST_SECRETS.ONEDOOR_PII_BLIND_INDEX_KEY)

interface SeededRow {
  id: string
  name: string
  phone: string
  idNumber: string
  idNumberIndex: string
  idNumberMasked: string
}

describe('onedoor seed', function () {
  this.timeout(300_000) // CLI subprocesses and a server on a shared machine

  const env = useTestDb()
  const count = async (table: string) => Number((await env.db(table).count({ n: '*' }))[0].n)
  const seed = (args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) => runCli(env.database, ['seed', ...args], options)
  let first: Record<string, any>
  let persons: SeededRow[]

  async function readPersons(): Promise<SeededRow[]> {
    const rows = await env.db('persons').select('id', 'name', 'phone', 'id_number_sealed', 'id_number_index', 'id_number_masked')
    return rows.map((r) => ({ id: r.id, name: r.name, phone: r.phone, idNumber: open(piiKey, r.id_number_sealed, `id-number:${r.id}`), idNumberIndex: r.id_number_index, idNumberMasked: r.id_number_masked }))
  }

  describe('refuses bad arguments with one line, a non-zero exit and nothing written', () => {
    const cases: [string, string[], RegExp, string?][] = [
      ['no count', ['--password', PASSWORD], /nothing to seed/],
      ['a negative count', ['--persons', '-5', '--password', PASSWORD], /--persons must be a whole number/],
      ['a count in exponent notation', ['--persons', '1e3', '--password', PASSWORD], /--persons must be a whole number/],
      ['more persons than there are synthetic ID numbers', ['--persons', '30000000', '--password', PASSWORD], /--persons must be a whole number from 0 to 24837000/],
      ['enterprises without persons', ['--enterprises', '5', '--password', PASSWORD], /--enterprises needs --persons/],
      ['a weak password', ['--persons', '10', '--password', 'password1'], /password: ACCOUNT_PASSWORD/],
      ['both password options', ['--persons', '10', '--password', PASSWORD, '--password-stdin'], /either --password or --password-stdin/, PASSWORD],
      ['a tiny batch size', ['--persons', '10', '--password', PASSWORD, '--batch-size', '5'], /--batch-size must be/],
      ['a bad seed', ['--persons', '10', '--password', PASSWORD, '--seed', 'abc'], /--seed must be/],
    ]
    for (const [what, args, reason, stdin] of cases) {
      it(`refuses ${what}`, async () => {
        assertOneLineFailure(await seed(args, { stdin }), reason)
        // Checked before the database is opened: not even the migrations ran.
        assert.equal(await env.db.schema.hasTable('persons'), false)
      })
    }

    it('refuses NODE_ENV=production without --allow-production', async () => {
      assertOneLineFailure(await seed(['--persons', '10', '--password', PASSWORD], { env: { NODE_ENV: 'production' } }), /refusing to seed with NODE_ENV=production/)
      assert.equal(await env.db.schema.hasTable('persons'), false)
    })
  })

  describe('200 persons and 20 enterprises', () => {
    before(async () => {
      const result = await seed(['--persons', '200', '--enterprises', '20', '--password-stdin', '--seed', '42', '--batch-size', '100', '--json'], { stdin: `${PASSWORD}\n` })
      assert.equal(result.code, 0, result.stderr)
      first = JSON.parse(result.stdout)
      persons = await readPersons()
    })

    it('writes the requested counts and reports them, with the run recorded', async () => {
      assert.deepEqual(first.persons, { requested: 200, created: 200 })
      assert.deepEqual(first.enterprises, { requested: 20, created: 20 })
      assert.equal(first.seed, 42)
      assert.equal(first.password, undefined, 'a given password is never printed')
      assert.equal(await count('persons'), 200)
      assert.equal(await count('enterprises'), 20)
      const run = await env.db('seed_runs').where({ id: first.run_id }).first()
      assert.equal(Number(run.persons_written), 200)
      assert.equal(Number(run.enterprises_written), 20)
      assert.ok(run.finished_at !== null)
    })

    it('gives every person a valid, unique ID number, sealed and blind-indexed as registration does', () => {
      for (const p of persons) {
        const parsed = parseIdNumber(p.idNumber)
        assert.ok(parsed.ok, `${p.idNumberMasked}: ${parsed.ok ? '' : parsed.problem}`)
        assert.equal(p.idNumberIndex, blindIndex(indexKey, p.idNumber, 'id-number'))
        assert.equal(p.idNumberMasked, `${p.idNumber.slice(0, 4)}**********${p.idNumber.slice(-4)}`)
        assert.ok(parsePhone(p.phone).ok, p.phone)
        assert.ok(p.name.length >= 2 && p.name.length <= 3, p.name)
      }
      assert.equal(new Set(persons.map((p) => p.idNumber)).size, persons.length)
      assert.equal(new Set(persons.map((p) => p.phone)).size, persons.length)
    })

    it('gives every enterprise a valid credit code and a seeded legal representative', async () => {
      const rows = await env.db('enterprises as e').leftJoin('persons as p', 'p.id', 'e.legal_representative_id').select('e.uscc', 'e.kind', 'e.name', 'p.id as rep')
      for (const e of rows) {
        const parsed = parseUscc(e.uscc)
        assert.ok(parsed.ok, e.uscc)
        assert.equal(e.kind, parsed.kind)
        assert.ok(e.rep, `${e.uscc} has a legal representative among the persons`)
        assert.ok(e.name.length > 4, e.name)
      }
    })

    it('spreads persons over every prefecture, Harbin the largest, in current county-level divisions', async () => {
      const byPrefecture = new Map<string, number>()
      for (const p of persons) byPrefecture.set(p.idNumber.slice(0, 4), (byPrefecture.get(p.idNumber.slice(0, 4)) ?? 0) + 1)
      const prefectures = Object.keys(PREFECTURE_POPULATION_2020).map((code) => code.slice(0, 4))
      assert.deepEqual([...byPrefecture.keys()].sort(), prefectures.sort())
      assert.equal([...byPrefecture.entries()].sort((a, b) => b[1] - a[1])[0][0], '2301')
      const counties = new Set((await env.db('divisions').where({ level: 'county' }).pluck('code')) as string[])
      for (const p of persons) assert.ok(counties.has(p.idNumber.slice(0, 6)), p.idNumber.slice(0, 6))
      assert.deepEqual(Object.fromEntries(byPrefecture), first.by_prefecture)
    })

    it('adds more on a rerun without colliding, and a fresh database with the same seed gets the same accounts', async () => {
      const again = await seed(['--persons', '200', '--enterprises', '20', '--password', PASSWORD, '--seed', '42', '--json'])
      assert.equal(again.code, 0, again.stderr)
      const second = JSON.parse(again.stdout)
      assert.equal(second.first_person, 200)
      assert.equal(second.persons.created, 200)
      assert.equal(second.skipped, 0)
      assert.equal(await count('persons'), 400)
      assert.equal(await count('enterprises'), 40)
      assert.equal(await count('seed_runs'), 2)

      const fresh = createTestDatabase()
      const freshDb = createDb(testConfig(fresh, 3000).db)
      try {
        const result = await runCli(fresh, ['seed', '--persons', '20', '--password', PASSWORD, '--seed', '42'])
        assert.equal(result.code, 0, result.stderr)
        const rows = await freshDb('persons').select('name', 'phone', 'id_number_masked')
        const seen = new Set(persons.map((p) => `${p.name} ${p.phone} ${p.idNumberMasked}`))
        for (const r of rows) assert.ok(seen.has(`${r.name} ${r.phone} ${r.id_number_masked}`), `${r.name} ${r.phone}`)
      } finally {
        await freshDb.destroy()
        await fresh.drop()
      }
    })

    it('generates and prints the shared password once when none is given', async () => {
      const result = await seed(['--persons', '100'])
      assert.equal(result.code, 0, result.stderr)
      assert.match(result.stdout, /100 persons and 0 enterprises created/)
      assert.match(result.stdout, /password of every seeded account \(shown once\): \S{16}/)
      assert.equal(await count('persons'), 500)
    })

    it('skips, never overwrites, a synthetic phone that a registered person already holds', async () => {
      const taken = seededPhone(500) // the next seeded person's phone
      const added = await runCli(env.database, ['person', 'add', '--name', '王五', '--id-number', randomIdNumber(), '--phone', taken, '--password', PASSWORD])
      assert.equal(added.code, 0, added.stderr)
      const result = await seed(['--persons', '10', '--password', PASSWORD, '--json'])
      assert.equal(result.code, 0, result.stderr)
      const report = JSON.parse(result.stdout)
      assert.deepEqual([report.persons.created, report.skipped], [9, 1])
      assert.equal((await env.db('persons').where({ phone: taken }).first()).name, '王五')
      assert.equal(Number((await env.db('seed_runs').where({ id: report.run_id }).first()).skipped), 1)
    })

    it('stops on a database failure with whole batches written and the failed batch rolled back', async () => {
      // Fault drill inside the real database: inserts start failing once 650 persons exist.
      const before = await count('persons') // 510: the next batches of 100 reach 610, then fail at 650
      if (testDbKind() === 'pg') {
        await env.db.raw(`create function seed_drill() returns trigger language plpgsql as $$ begin if (select count(*) from persons) >= 650 then raise exception 'disk full drill'; end if; return new; end $$`)
        await env.db.raw('create trigger seed_drill before insert on persons for each row execute function seed_drill()')
      } else {
        await env.db.raw(`create trigger seed_drill before insert on persons when (select count(*) from persons) >= 650 begin select raise(abort, 'disk full drill'); end`)
      }
      try {
        const result = await seed(['--persons', '300', '--batch-size', '100', '--password', PASSWORD])
        // Progress lines come first on stderr (no terminal); the reason is the one line after them.
        assertOneLineFailure({ ...result, stderr: result.stderr.replace(/^seed: .*\n/gm, '') }, /seeding stopped after 100 persons and 0 enterprises \(whole batches; the failed one was rolled back\): .*disk full drill/)
        assert.equal(await count('persons'), before + 100)
        const run = await env.db('seed_runs').orderBy('first_person', 'desc').first()
        assert.equal(Number(run.persons_written), 100)
        assert.equal(run.finished_at, null)
      } finally {
        await env.db.raw(testDbKind() === 'pg' ? 'drop trigger seed_drill on persons' : 'drop trigger seed_drill')
        if (testDbKind() === 'pg') await env.db.raw('drop function seed_drill()')
      }
      // The interrupted run's numbers stay reserved: the next run starts after them.
      const next = await seed(['--persons', '5', '--password', PASSWORD, '--json'])
      assert.equal(next.code, 0, next.stderr)
      assert.equal(JSON.parse(next.stdout).first_person, 510 + 300)
    })

    describe('on a server over the seeded database', () => {
      let server: TestServer

      before(async () => {
        server = await startOneDoor({ database: env.database, overrides: { admin: { requiredAcr: null } } })
      })
      after(() => server?.close())

      it('signs a seeded person in through the real login pages, by ID number and by phone', async () => {
        const client = await server.addClient({ redirectUris: [REDIRECT_URI] })
        for (const [i, identifier] of [[17, persons[17].idNumber], [123, persons[123].phone]] as const) {
          const person = { ...persons[i], idNumber: identifier, password: PASSWORD }
          const { tokens } = await signIn(server, client, person, { redirectUri: REDIRECT_URI })
          assert.equal(tokens.claims()?.sub, persons[i].id)
        }
      })

      it("finds a seeded person by ID number in the administrators' search (blind index)", async () => {
        const admin = await addAdmin(server, 'province_admin', '230000')
        const target = persons[42]
        const res = await api(server, await adminToken(server, admin)).post('/persons/search', { q: target.idNumber })
        assert.equal(res.status, 200, JSON.stringify(res.body))
        assert.deepEqual(res.body.persons.map((p: { id: string }) => p.id), [target.id])
        const byName = await api(server, await adminToken(server, admin)).post('/persons/search', { q: target.name })
        assert.ok(byName.body.persons.some((p: { id: string }) => p.id === target.id))
      })
    })
  })
})
