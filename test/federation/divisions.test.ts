import assert from 'node:assert/strict'
import type { DivisionTree } from '../../src/federation/index.js'
import { federationFixture, type FederationFixture } from './fixtures.js'

describe('administrative divisions (reference data loaded by migration)', () => {
  let fixture: FederationFixture
  let tree: DivisionTree

  before(async () => {
    fixture = await federationFixture()
    tree = await fixture.services.divisions.tree()
  })
  after(async () => fixture?.close())

  it('holds the province, 13 prefecture-level and 121 county-level divisions and 5 statistical-only units', () => {
    const standard = tree.all.filter((d) => !d.nonStandard)
    assert.equal(standard.filter((d) => d.level === 'province').length, 1)
    assert.equal(standard.filter((d) => d.level === 'prefecture').length, 13)
    assert.equal(standard.filter((d) => d.level === 'county').length, 121)
    const nonStandard = tree.all.filter((d) => d.nonStandard)
    assert.deepEqual(nonStandard.map((d) => d.code).sort(), ['230671', '232761', '232762', '232763', '232764'])
    assert.ok(nonStandard.every((d) => d.level === 'county' && d.kind === 'statistical-only'))
  })

  it('keeps names, English forms and kinds', () => {
    const daoli = tree.get('230102')!
    assert.equal(daoli.name, '道里区')
    assert.equal(daoli.en, 'Daoli District')
    assert.equal(daoli.kind, 'district')
    assert.equal(daoli.parentCode, '230100')
    assert.equal(tree.get('232700')!.kind, 'prefecture')
  })

  it('answers ancestors, children and descendants', () => {
    assert.deepEqual(tree.ancestors('230102').map((d) => d.code), ['230100', '230000'])
    assert.deepEqual(tree.ancestors('230000'), [])
    assert.equal(tree.children('230000').length, 13)
    assert.equal(tree.descendants('230100').length, 18)
    assert.equal(tree.descendants('230000').length, 13 + 121 + 5)
    assert.equal(tree.descendants('230000', { includeNonStandard: false }).length, 13 + 121)
    assert.deepEqual(tree.descendants('230102'), [])
  })

  it('decides isWithin for admin scopes', () => {
    assert.equal(tree.isWithin('230102', '230100'), true)
    assert.equal(tree.isWithin('230102', '230000'), true)
    assert.equal(tree.isWithin('230100', '230100'), true)
    assert.equal(tree.isWithin('230202', '230100'), false, 'a Qiqihar district is not within Harbin')
    assert.equal(tree.isWithin('230100', '230102'), false, 'a prefecture is not within its county')
    assert.equal(tree.isWithin('999999', '230000'), false, 'unknown codes are within nothing')
  })

  it('maps retired codes to their successors (changes since 2010)', () => {
    assert.deepEqual(tree.successorsOf('230182').map((c) => [c.newCode, c.year]), [['230113', 2014]])
    assert.deepEqual(tree.successorsOf('230711').map((c) => c.newCode).sort(), ['230717', '230718'])
    assert.equal(tree.resolveCurrent('230182')!.name, '双城区')
    assert.equal(tree.resolveCurrent('230711'), undefined, 'a code split in two has no single successor')
    assert.equal(tree.resolveCurrent('230102')!.code, '230102')
    assert.deepEqual(tree.successorsOf('230102'), [])
    assert.equal(tree.codeChanges.length, 21)
  })
})
