/*
 * Hot-path statements sent straight to a pooled connection, skipping knex's query builder and
 * runner. The oidc-provider adapter runs one to six single-row statements per token request,
 * and building each through knex cost more CPU than executing it. The connection still comes
 * from knex's pool, so a statement never slips into another caller's open transaction (SQLite
 * has one connection; a transaction holds it until it ends).
 * SQLite: statements prepared once per connection (node-sqlite.ts caches them).
 * PostgreSQL: named prepared statements, parsed and planned once per connection.
 */
import type { Db } from './db.js'
import type { NodeSqliteConnection } from './node-sqlite.js'

export interface Statement {
  name: string
  /** SQL with `?` placeholders, valid in SQLite and PostgreSQL. */
  sql: string
  /** The same with $1, $2… for PostgreSQL. */
  pgSql: string
}

/** Declares a statement once, at module load. */
export function statement(name: string, sql: string): Statement {
  let n = 0
  return { name: `onedoor_${name}`, sql, pgSql: sql.replace(/\?/g, () => `$${++n}`) }
}

interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>
}

interface KnexClient {
  acquireConnection(): Promise<unknown>
  releaseConnection(connection: unknown): Promise<void>
}

export type FastSql = ReturnType<typeof createFastSql>

export function createFastSql(db: Db) {
  const client = db.client as unknown as KnexClient
  const isPg = db.client.config.client === 'pg'

  return {
    /** Rows of a SELECT (or of a statement with RETURNING). */
    rows: (s: Statement, values: unknown[]) =>
      withConnection(async (conn) =>
        isPg ? (await (conn as PgConnection).query({ name: s.name, text: s.pgSql, values })).rows : (conn as NodeSqliteConnection).prepare(s.sql).all(values),
      ),
    /** Number of rows changed by an INSERT, UPDATE or DELETE. */
    run: (s: Statement, values: unknown[]) =>
      withConnection(async (conn) =>
        isPg ? ((await (conn as PgConnection).query({ name: s.name, text: s.pgSql, values })).rowCount ?? 0) : (conn as NodeSqliteConnection).prepare(s.sql).run(values).changes,
      ),
  }

  async function withConnection<T>(work: (connection: unknown) => Promise<T>): Promise<T> {
    const connection = await client.acquireConnection()
    try {
      return await work(connection)
    } finally {
      await client.releaseConnection(connection)
    }
  }
}
