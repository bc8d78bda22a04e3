/*
 * Look-ups asked for together sharing one statement (src/store/grouped-lookups.ts), against a
 * lookup that records each call: who goes in which batch, one batch at a time, and each caller
 * answered with its own rows or its batch's error.
 */
import assert from 'node:assert/strict'
import { groupedLookups } from '../../src/store/grouped-lookups.js'

interface Row {
  key: string
  value: string
}

/** A lookup over `table` that records the keys of each call and how many run at once. */
function recordingLookup(table: Row[], failOn?: string) {
  const batches: string[][] = []
  let running = 0
  let mostAtOnce = 0
  const lookup = async (keys: string[]): Promise<Row[]> => {
    batches.push(keys)
    running += 1
    mostAtOnce = Math.max(mostAtOnce, running)
    await new Promise((resolve) => setTimeout(resolve, 5))
    running -= 1
    if (failOn && keys.includes(failOn)) throw new Error(`lookup of ${failOn} failed`)
    return table.filter((row) => keys.includes(row.key))
  }
  return { lookup, batches, mostAtOnce: () => mostAtOnce }
}

const TABLE: Row[] = [
  { key: 'a', value: 'a1' },
  { key: 'b', value: 'b1' },
  { key: 'b', value: 'b2' },
  { key: 'c', value: 'c1' },
  { key: 'd', value: 'd1' },
]

describe('grouped look-ups', () => {
  it('sends the keys asked for in one turn as one lookup and gives each caller its own rows', async () => {
    const rec = recordingLookup(TABLE)
    const find = groupedLookups(rec.lookup, (row) => row.key, 64)
    const [a, b, missing, aAgain] = await Promise.all([find('a'), find('b'), find('zz'), find('a')])
    assert.deepEqual(rec.batches, [['a', 'b', 'zz']], 'one lookup, each key once')
    assert.deepEqual(a.map((r) => r.value), ['a1'])
    assert.deepEqual(b.map((r) => r.value), ['b1', 'b2'])
    assert.deepEqual(missing, [])
    assert.deepEqual(aAgain, a)
  })

  it('puts keys asked for while a lookup is on its way into the next one, one lookup at a time', async () => {
    const rec = recordingLookup(TABLE)
    const find = groupedLookups(rec.lookup, (row) => row.key, 64)
    const first = find('a')
    await new Promise((resolve) => setTimeout(resolve, 1)) // the first lookup is now on its way
    const later = [find('b'), find('c')]
    assert.deepEqual((await first).map((r) => r.value), ['a1'])
    assert.deepEqual((await Promise.all(later)).map((rows) => rows.map((r) => r.value)), [['b1', 'b2'], ['c1']])
    assert.deepEqual(rec.batches, [['a'], ['b', 'c']])
    assert.equal(rec.mostAtOnce(), 1)
    assert.deepEqual(await find('d').then((rows) => rows.map((r) => r.value)), ['d1'], 'an idle lookup starts again')
  })

  it('splits a batch into lookups of at most maxKeys keys', async () => {
    const rec = recordingLookup(TABLE)
    const find = groupedLookups(rec.lookup, (row) => row.key, 2)
    const found = await Promise.all(['a', 'b', 'c', 'd', 'e'].map(find))
    assert.deepEqual(rec.batches, [['a', 'b'], ['c', 'd'], ['e']])
    assert.deepEqual(found.map((rows) => rows.length), [1, 2, 1, 1, 0])
  })

  it('asks a failed lookup again key by key, so only the callers of a failing key fail', async () => {
    const rec = recordingLookup(TABLE, 'c')
    const find = groupedLookups(rec.lookup, (row) => row.key, 64)
    const outcomes = await Promise.allSettled(['a', 'b', 'c', 'c', 'd'].map(find))
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled'])
    assert.match(String((outcomes[2] as PromiseRejectedResult).reason), /lookup of c failed/)
    assert.deepEqual((outcomes[4] as PromiseFulfilledResult<Row[]>).value.map((r) => r.value), ['d1'])
    assert.deepEqual(rec.batches, [['a', 'b', 'c', 'd'], ['a'], ['b'], ['c'], ['d']])
    assert.deepEqual((await find('d')).map((r) => r.value), ['d1'], 'a later lookup is sent')
  })
})
