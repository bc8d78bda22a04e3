/*
 * Console forms refused for their input are shown again with what was typed kept and a message
 * beside each field at fault — zh-CN by default, English with the UI language — instead of an
 * English-only error page (issue 5: "same look and language rules as the sign-in pages").
 * Nothing is written by a refused form, and identifiers typed into it are not echoed in clear.
 */
import assert from 'node:assert/strict'
import { randomIdNumber, type TestServer } from '../helpers/onedoor.js'
import type { PageResponse, UserAgent } from '../helpers/user-agent.js'
import { addAdmin, consoleSignIn, startAdminServer, submitConsoleForm, type TestAdmin } from './admin-helpers.js'

describe('admin console form errors', function () {
  this.timeout(120_000)
  let server: TestServer
  let admin: TestAdmin

  before(async () => {
    server = await startAdminServer()
    admin = await addAdmin(server, 'province_admin', '230000')
  })
  after(() => server.close())

  const signIn = async (language: string) => (await consoleSignIn(server, admin, language)).agent
  const submit = (agent: UserAgent, pagePath: string, action: string, fields: Record<string, string>) => submitConsoleForm(server, agent, pagePath, action, fields)

  /** The message shown under `field` of form `formId`, or undefined. */
  function messageAt(page: PageResponse, formId: string, field: string): string | undefined {
    return new RegExp(`id="${formId}-${field}-error">([^<]*)<`).exec(page.body)?.[1]
  }

  const count = async (table: string) => Number((await server.onedoor.db(table).count({ n: '*' }).first())?.n)

  it('re-displays the new service system form with field messages in Chinese, values kept, nothing written', async () => {
    const agent = await signIn('zh-CN')
    const before = await count('clients')
    const res = await submit(agent, '/admin/clients', '/admin/clients', { name: '哈尔滨市公积金', divisionCode: '2301', redirectUris: 'not an address', allowedScopes: 'profile' })
    assert.equal(res.status, 400)
    assert.match(res.body, /<html lang="zh-CN">/)
    assert.doesNotMatch(res.body, /出错了/, 'not the error page')
    assert.equal(messageAt(res, 'create', 'divisionCode'), '请输入 6 位行政区划代码，例如 230102。')
    assert.equal(messageAt(res, 'create', 'redirectUris'), '每行填写一个 https 地址（仅 localhost 可用 http）。')
    assert.equal(messageAt(res, 'create', 'name'), undefined, 'the name was fine')
    assert.match(res.body, /id="c-name" name="name"[^>]*value="哈尔滨市公积金"/)
    assert.match(res.body, />not an address<\/textarea>/)
    assert.match(res.body, /id="c-division"[^>]*aria-invalid="true" aria-describedby="create-divisionCode-error"/)
    assert.equal(await count('clients'), before)
  })

  it('speaks English with the UI language', async () => {
    const agent = await signIn('en')
    const res = await submit(agent, '/admin/clients', '/admin/clients', { name: '', divisionCode: '230102', redirectUris: 'https://portal.example.gov.cn/cb' })
    assert.equal(res.status, 400)
    assert.match(res.body, /<html lang="en">/)
    assert.equal(messageAt(res, 'create', 'name'), 'Please fill in this field.')
    assert.match(res.body, /value="230102"/)
  })

  it('puts a refused grant’s reason at the field and keeps the choices, without echoing the ID number', async () => {
    const agent = await signIn('zh-CN')
    const candidate = await server.addPerson({ idNumber: randomIdNumber('230102') })
    const before = await count('admins')
    const mismatch = await submit(agent, '/admin/admins', '/admin/admins', { login: candidate.idNumber, role: 'county_admin', divisionCode: '230100' })
    assert.equal(mismatch.status, 400)
    assert.equal(messageAt(mismatch, 'grant', 'role'), '该角色须对应另一级行政区划（省、市或县）。')
    assert.match(mismatch.body, /<option value="county_admin" selected>/)
    assert.match(mismatch.body, /id="g-division"[^>]*value="230100"/)
    assert.ok(!mismatch.body.includes(candidate.idNumber), 'the typed ID number is not written back')
    const unknown = await submit(agent, '/admin/admins', '/admin/admins', { login: '13900000000', role: 'county_admin', divisionCode: '230102' })
    assert.equal(messageAt(unknown, 'grant', 'login'), '没有使用该身份证号或手机号的账号。')
    assert.equal(await count('admins'), before)
  })

  it('shows an action’s reason problem inside that action’s form only', async () => {
    const agent = await signIn('zh-CN')
    const person = await server.addPerson({ idNumber: randomIdNumber('230103') })
    const res = await submit(agent, `/admin/persons/${person.id}`, '/unlock', { reason: 'ab' })
    assert.equal(res.status, 400)
    assert.equal(messageAt(res, 'unlock', 'reason'), '请用几个字说明理由（至少 4 个字符），理由将记入审计日志。')
    assert.equal(messageAt(res, 'status', 'reason'), undefined)
    assert.match(res.body, /id="r-unlock"[^>]*value="ab"/)
    assert.equal((await server.onedoor.db('audit_events').where({ type: 'admin.person.unlocked', target_id: person.id })).length, 0)
  })

  it('answers an unknown legal person at the search field, and an empty person search at its field', async () => {
    const agent = await signIn('zh-CN')
    const enterprise = await submit(agent, '/admin/enterprises', '/admin/enterprises', { uscc: '91230102MA1B2C3D4E' })
    assert.equal(enterprise.status, 404)
    assert.equal(messageAt(enterprise, 'search', 'uscc'), '在您的管辖范围内没有该记录。')
    assert.match(enterprise.body, /value="91230102MA1B2C3D4E"/)
    const empty = await submit(agent, '/admin/persons', '/admin/persons', { q: '   ' })
    assert.equal(empty.status, 400)
    assert.ok(messageAt(empty, 'search', 'q'))
  })
})
