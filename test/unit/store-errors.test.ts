/*
 * Which driver errors mean "the database is away" (answered 503 temporarily_unavailable, issue 6
 * drill 1) rather than a bug or a bad query (500, or the caller's own handling).
 */
import assert from 'node:assert/strict'
import { isConnectionError, isUniqueViolation } from '../../src/store/errors.js'

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code })

describe('database connection errors', () => {
  it('recognises a database that is down, restarting or unreachable', () => {
    for (const err of [
      withCode('ECONNREFUSED'),
      withCode('ECONNRESET'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is starting up'),
      withCode('08006', 'connection failure'),
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
      Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' }),
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed'),
    ]) {
      assert.equal(isConnectionError(err), true, String(err))
    }
  })

  it('leaves query errors, constraint violations and SQLite errors alone', () => {
    for (const err of [
      withCode('23505', 'duplicate key value violates unique constraint'),
      withCode('42601', 'syntax error at or near'),
      withCode('SQLITE_BUSY', 'database is locked'),
      withCode('SQLITE_CONSTRAINT_UNIQUE'),
      new Error('something else'),
      undefined,
      null,
      'a string',
    ]) {
      assert.equal(isConnectionError(err), false, String(err))
    }
    assert.equal(isUniqueViolation(withCode('23505')), true)
  })
})
