/*
 * Threat: an administrator reaches beyond their division or grants more than they hold
 * (privilege escalation by delegation). can() and canGrant() are the only gates (issue 5).
 */
import assert from 'node:assert/strict'
import { can, canGrant, type Actor, type Role } from '../../src/admin/roles.js'
import { shapeScope } from '../../src/admin/scope.js'

const actor = (role: Role, divisionCode: string): Actor => ({ personId: 'p', grants: [{ role, divisionCode }] })

describe('admin roles: can()', () => {
  it('scopes a county administrator to its own county', () => {
    const county = actor('county_admin', '230102')
    assert.equal(can(shapeScope, county, 'client.write', '230102'), true)
    assert.equal(can(shapeScope, county, 'client.read', '230103'), false)
    assert.equal(can(shapeScope, county, 'person.read', '230100'), false)
    assert.equal(can(shapeScope, county, 'client.read', null), false)
  })

  it('lets a prefecture administrator reach its counties and no other prefecture', () => {
    const harbin = actor('prefecture_admin', '230100')
    assert.equal(can(shapeScope, harbin, 'client.write', '230102'), true)
    assert.equal(can(shapeScope, harbin, 'client.write', '230100'), true)
    assert.equal(can(shapeScope, harbin, 'client.write', '230202'), false)
  })

  it('keeps duties separate: the auditor changes nothing, the operator reads no audit', () => {
    const auditor = actor('auditor', '230000')
    const operator = actor('operator', '230000')
    for (const p of ['client.write', 'person.write', 'person.verify', 'admin.write', 'person.reveal_id'] as const) assert.equal(can(shapeScope, auditor, p, '230102'), false, p)
    assert.equal(can(shapeScope, auditor, 'audit.read', '230102'), true)
    assert.equal(can(shapeScope, operator, 'audit.read', '230102'), false)
    assert.equal(can(shapeScope, operator, 'client.write', '230102'), true)
    assert.equal(can(shapeScope, actor('province_admin', '230000'), 'audit.read', '230102'), false)
  })
})

describe('admin roles: delegation', () => {
  it('refuses a prefecture administrator creating a province administrator', () => {
    assert.equal(canGrant(shapeScope, actor('prefecture_admin', '230100'), 'province_admin', '230000'), false)
    assert.equal(canGrant(shapeScope, actor('prefecture_admin', '230100'), 'prefecture_admin', '230200'), false)
  })

  it('allows delegation downwards inside the scope only', () => {
    const harbin = actor('prefecture_admin', '230100')
    assert.equal(canGrant(shapeScope, harbin, 'county_admin', '230102'), true)
    assert.equal(canGrant(shapeScope, harbin, 'counter_clerk', '230102'), true)
    assert.equal(canGrant(shapeScope, harbin, 'county_admin', '230202'), false)
  })

  it('never grants permissions the grantor does not hold', () => {
    assert.equal(canGrant(shapeScope, actor('province_admin', '230000'), 'auditor', '230000'), false)
    assert.equal(canGrant(shapeScope, actor('counter_clerk', '230102'), 'counter_clerk', '230102'), false)
    assert.equal(canGrant(shapeScope, actor('operator', '230000'), 'operator', '230100'), false)
  })
})
