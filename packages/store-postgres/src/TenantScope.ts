import { escapeLiteral, type Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg'
import { Identifiers } from './identifiers.ts'
import { storageCall } from './pgError.ts'

/** Options of {@link TenantScope.transaction}. */
export interface TransactionOptions {
  /** A read-only transaction at REPEATABLE READ: every query in it sees one snapshot. */
  readonly readOnly?: boolean
}

/**
 * Where one tenant's rows are and how to reach them: a pool (the main database's, or the tenant's
 * own database's), the schema to resolve table names in, and the role to act as. Every query of a
 * tenant runs in {@link transaction}, which sets the role, the search path and `app.tenant_id`
 * with `SET LOCAL` semantics (`set_config(..., true)`): they end with the transaction, so a pooled
 * connection handed to another tenant next carries none of them.
 */
export class TenantScope {
  readonly pool: Pool
  readonly tenant: string
  readonly schema: string
  /** The role to act as; undefined: the connecting user. */
  readonly role: string | undefined

  constructor(pool: Pool, tenant: string, schema: string, role: string | undefined) {
    this.pool = pool
    this.tenant = tenant
    this.schema = schema
    this.role = role
  }

  /** Runs `fn` in one transaction with this tenant's context; commits if it resolves, rolls back if not. */
  transaction<T>(what: string, fn: (client: PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.#inTransaction(what, async (client) => {
      await client.query(this.beginSql(options))
      return fn(client)
    })
  }

  /**
   * Like {@link transaction}, with the statements `sql` (values quoted in: no parameters) sent with
   * the transaction's opening in one round trip; `fn` gets their results, in order. A statement
   * `fn` passes to `commitWith` (values quoted in too) goes with the COMMIT, in one round trip: a
   * transaction that reads, then writes once, takes two.
   */
  transactionWith<T>(
    what: string,
    sql: string,
    fn: (results: QueryResult[], commitWith: (sql: string) => void) => Promise<T>,
  ): Promise<T> {
    return this.#inTransaction(what, async (client, commitWith) => {
      const results = (await client.query(`${this.beginSql()}; ${sql}`)) as unknown as QueryResult[]
      return fn(results.slice(this.#beginStatements()), commitWith)
    })
  }

  /**
   * Runs `open` then COMMIT on one pooled connection (with the last statement `open` passed to
   * `commitWith` before it, in the same round trip); ROLLBACK when any fails.
   */
  #inTransaction<T>(
    what: string,
    open: (client: PoolClient, commitWith: (sql: string) => void) => Promise<T>,
  ): Promise<T> {
    return storageCall(what, async () => {
      const client = await this.pool.connect()
      let broken: Error | undefined
      try {
        try {
          let last = ''
          const result = await open(client, (sql) => (last = `${sql}; `))
          await client.query(`${last}COMMIT`)
          return result
        } catch (err) {
          await client.query('ROLLBACK').catch((e: Error) => (broken = e))
          throw err
        }
      } finally {
        // A connection whose rollback failed is in an unknown state: destroy it, never reuse it.
        client.release(broken)
      }
    })
  }

  /**
   * Runs one read-only statement in this tenant's context in a single round trip: the opening of
   * the transaction, its context, `sql` and the commit go as one simple query. `sql` takes no
   * parameters, so every value in it must be quoted by the caller (`escapeLiteral`).
   */
  async readOnce<R extends QueryResultRow>(what: string, sql: string): Promise<R[]> {
    return (await this.readEach<[R]>(what, [sql]))[0]
  }

  /**
   * {@link readOnce} of several statements, in one transaction (so one snapshot) and one round
   * trip: the rows of each, in order.
   */
  readEach<R extends QueryResultRow[]>(what: string, sqls: readonly string[]): Promise<{ [I in keyof R]: R[I][] }> {
    return storageCall(what, async () => {
      const client = await this.pool.connect()
      let broken: Error | undefined
      try {
        const results = (await client.query(
          `${this.beginSql({ readOnly: true })}; ${sqls.join('; ')}; COMMIT`,
        )) as unknown as QueryResult[]
        const first = this.#beginStatements()
        return sqls.map((_, i) => results[first + i]!.rows) as { [I in keyof R]: R[I][] }
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e))
        throw err
      } finally {
        client.release(broken)
      }
    })
  }

  /**
   * The statements that open a transaction in this tenant's context, sent as one round trip: the
   * role, the search path and `app.tenant_id`, each ending with the transaction.
   */
  beginSql(options: TransactionOptions = {}): string {
    return [
      options.readOnly ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN',
      ...(this.role ? [`SET LOCAL ROLE ${Identifiers.quote(this.role)}`] : []),
      `SELECT set_config('search_path', ${escapeLiteral(Identifiers.quote(this.schema))}, true), ` +
        `set_config('app.tenant_id', ${escapeLiteral(this.tenant)}, true)`,
    ].join('; ')
  }

  /** How many statements {@link beginSql} is. */
  #beginStatements(): number {
    return this.role ? 3 : 2
  }
}
