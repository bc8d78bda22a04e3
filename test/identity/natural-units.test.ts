import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { checkPassword, maskDocument, parseDocument, PASSWORD_POLICIES, personContextWords } from '../../src/accounts/index.js'
import { createHttpGateway } from '../../src/sms/index.js'
import { randomIdNumber } from '../helpers/onedoor.js'

describe('identity documents', () => {
  it('accepts the GB 11643-format cards only with their own area codes', () => {
    assert.equal(parseDocument('resident_id', randomIdNumber()).ok, true)
    assert.equal(parseDocument('hk_macao_residence_permit', randomIdNumber('810000')).ok, true)
    assert.equal(parseDocument('hk_macao_residence_permit', randomIdNumber('820000')).ok, true)
    assert.equal(parseDocument('taiwan_residence_permit', randomIdNumber('830000')).ok, true)
    assert.equal(parseDocument('foreign_permanent_residence_id', randomIdNumber('911156')).ok, true)
    assert.deepEqual(parseDocument('resident_id', randomIdNumber('810000')), { ok: false, problem: 'area' })
    assert.deepEqual(parseDocument('taiwan_residence_permit', randomIdNumber('810000')), { ok: false, problem: 'area' })
    const permit = randomIdNumber('830000')
    const bad = permit.slice(0, 17) + (permit[17] === '0' ? '1' : '0')
    assert.deepEqual(parseDocument('taiwan_residence_permit', bad), { ok: false, problem: 'checksum' })
  })

  it('accepts 2017-format foreign permanent residence cards and passports with a country', () => {
    assert.deepEqual(parseDocument('foreign_permanent_residence_id', 'usa310170123456'), { ok: true, value: { type: 'foreign_permanent_residence_id', number: 'USA310170123456', indexPurpose: 'document:foreign-pr-2017' } })
    assert.deepEqual(parseDocument('passport', 'e1234 5678', 'chn'), { ok: true, value: { type: 'passport', number: 'CHN:E12345678', indexPurpose: 'document:passport' } })
    assert.deepEqual(parseDocument('passport', 'E12345678', ''), { ok: false, problem: 'country' })
    assert.deepEqual(parseDocument('passport', 'E1-23', 'CHN'), { ok: false, problem: 'format' })
  })

  it('masks every kind of number', () => {
    assert.equal(maskDocument('230102199001011230'), '2301**********1230')
    assert.equal(maskDocument('CHN:E12345678'), 'CHN:E123*5678')
    assert.equal(maskDocument('USA310170123456'), 'USA3*******3456')
  })
})

describe('password policy (NIST 800-63B)', () => {
  const person = PASSWORD_POLICIES.person
  const codes = (password: string, context: string[] = []) => checkPassword(person, password, context).map((e) => e.code)

  it('needs 8 characters, counted after NFKC, with no composition rules', () => {
    assert.deepEqual(codes('短密码'), ['ACCOUNT_PASSWORD_TOO_SHORT'])
    assert.deepEqual(codes('all lowercase words here'), [])
    assert.deepEqual(codes('哈尔滨的冬天很冷'), [], 'any Unicode')
    assert.deepEqual(codes('ｆｕｌｌｗｉｄｔｈ ｐａｓｓ'), [], 'full-width is normalised, still accepted')
  })

  it('allows at least 64 characters', () => {
    assert.deepEqual(codes('x'.repeat(30) + ' y'.repeat(20)), [])
    assert.deepEqual(codes('长'.repeat(64) + 'a'), [])
    assert.deepEqual(codes('a'.repeat(129)), ['ACCOUNT_PASSWORD_TOO_LONG'])
  })

  it('screens common, breached and repetitive passwords', () => {
    for (const common of ['password', '12345678', 'qwertyuiop', 'iloveyou', 'woaini1314', '1qaz2wsx', 'aaaaaaaa', 'abcabcabc', '98765432']) {
      assert.deepEqual(codes(common), ['ACCOUNT_PASSWORD_COMMON'], common)
    }
    assert.deepEqual(codes('ＰＡＳＳＷＯＲＤ'), ['ACCOUNT_PASSWORD_COMMON'], 'after NFKC and case folding')
  })

  it('screens context words: name, phone, document number, birth date, service name', () => {
    const context = personContextWords({ name: '张三', phone: '13912345678', documentNumber: '230102199001011230' })
    assert.deepEqual(codes('张三的密码呀呀呀', context), ['ACCOUNT_PASSWORD_CONTEXT'])
    assert.deepEqual(codes('x13912345678', context), ['ACCOUNT_PASSWORD_CONTEXT'])
    assert.deepEqual(codes('born19900101!', context), ['ACCOUNT_PASSWORD_CONTEXT'])
    assert.deepEqual(codes('OneDoor rocks!', context), ['ACCOUNT_PASSWORD_CONTEXT'])
    assert.deepEqual(codes('进一扇门就够了吧', context), ['ACCOUNT_PASSWORD_CONTEXT'])
    assert.deepEqual(codes('completely unrelated', context), [])
  })

  it('administrators get a stricter policy', () => {
    assert.ok(PASSWORD_POLICIES.admin.minLength > PASSWORD_POLICIES.person.minLength)
    assert.deepEqual(checkPassword(PASSWORD_POLICIES.admin, 'twelve chars').map((e) => e.code), ['ACCOUNT_PASSWORD_TOO_SHORT'])
  })
})

describe('SMS http driver', () => {
  let server: http.Server
  let url: string
  const received: Array<{ headers: http.IncomingHttpHeaders; body: unknown }> = []
  let answer = 200

  before(async () => {
    server = http.createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => (body += chunk))
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(body) })
        if (answer === 0) return // never answers: timeout
        res.writeHead(answer, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`
  })
  after(() => {
    server.closeAllConnections()
    server.close()
  })

  const gateway = () => createHttpGateway({ url, token: 'vendor-token', templates: { register: 'T1', login: 'T2', reset: 'T3' }, timeoutMs: 300 }, { logger: pino({ level: 'silent' }) })

  it('posts JSON with the vendor template and a bearer token', async () => {
    answer = 200
    await gateway().send({ phone: '13912345678', template: 'login', params: { code: '123456', minutes: '5' } })
    const last = received.at(-1)!
    assert.equal(last.headers.authorization, 'Bearer vendor-token')
    assert.deepEqual(last.body, { phone: '13912345678', template: 'T2', params: { code: '123456', minutes: '5' } })
  })

  it('fails on a vendor error and on a timeout', async () => {
    answer = 500
    await assert.rejects(gateway().send({ phone: '13912345678', template: 'reset', params: { code: '1', minutes: '5' } }))
    answer = 0
    await assert.rejects(gateway().send({ phone: '13912345678', template: 'reset', params: { code: '1', minutes: '5' } }))
  })
})
