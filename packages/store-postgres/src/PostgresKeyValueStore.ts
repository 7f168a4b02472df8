import { ErrorCodes, WeftError, type KeyValueStore, type RecordPageOptions } from '@weft/core/backend'
import { escapeLiteral, type PoolClient, type QueryResultRow } from 'pg'
import type { TenantScope } from './TenantScope.ts'

/**
 * The core `KeyValueStore` on a PostgreSQL table: a tenant's record store (named `<tenant>/<name>`)
 * keeps its rows in `weft_kv` in the tenant's scope, isolated like its change stores. (A store
 * named without a slash belongs to no tenant: the server's own records, {@link
 * PostgresServerRecords}.) Every write is its own transaction; every read is one round trip (its
 * transaction, context and statement sent as one simple query).
 */
export class PostgresKeyValueStore implements KeyValueStore {
  readonly #scope: TenantScope
  readonly #name: string
  /** The values of the condition that picks this store's rows (`tenant_id = $1 AND store = $2`). */
  readonly #params: readonly [string, string]
  /** The same condition with its values quoted in (reads go as one simple query, which takes no parameters). */
  readonly #whereQuoted: string
  #closed = false

  private constructor(scope: TenantScope, name: string) {
    this.#scope = scope
    this.#name = name
    this.#params = [scope.tenant, name]
    this.#whereQuoted = `tenant_id = ${escapeLiteral(scope.tenant)} AND store = ${escapeLiteral(name)}`
  }

  /** A tenant's record store `name` in `scope`. */
  static forTenant(scope: TenantScope, name: string): PostgresKeyValueStore {
    return new PostgresKeyValueStore(scope, name)
  }

  get closed(): boolean {
    return this.#closed
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const rows = await this.#read<{ value: Buffer }>(
      `SELECT value FROM weft_kv WHERE ${this.#whereQuoted} AND key = ${escapeLiteral(key)}`,
    )
    const b = rows[0]?.value
    return b && new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.#run(`writing ${this.#name}`, (c) =>
      c.query(
        `INSERT INTO weft_kv (tenant_id, store, key, value) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, store, key) DO UPDATE SET value = EXCLUDED.value`,
        [...this.#params, key, Buffer.from(value.buffer, value.byteOffset, value.byteLength)],
      ),
    )
  }

  async delete(key: string): Promise<void> {
    await this.#run(`writing ${this.#name}`, (c) =>
      c.query('DELETE FROM weft_kv WHERE tenant_id = $1 AND store = $2 AND key = $3', [...this.#params, key]),
    )
  }

  async keys(prefix = ''): Promise<string[]> {
    const p = escapeLiteral(prefix)
    // Keys sort by bytes (COLLATE "C"); the prefix is matched exactly, not as a LIKE pattern.
    const rows = await this.#read<{ key: string }>(
      `SELECT key FROM weft_kv WHERE ${this.#whereQuoted} AND key >= ${p} AND left(key, length(${p})) = ${p} ORDER BY key`,
    )
    return rows.map((r) => r.key)
  }

  async entries(prefix: string, page: RecordPageOptions): Promise<[string, Uint8Array][]> {
    if (!Number.isSafeInteger(page.limit) || page.limit < 0)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a page limit is a whole number')
    const p = escapeLiteral(prefix)
    const after = page.after === undefined ? '' : ` AND key > ${escapeLiteral(page.after)}`
    const rows = await this.#read<{ key: string; value: Buffer }>(
      `SELECT key, value FROM weft_kv WHERE ${this.#whereQuoted} AND key >= ${p} AND left(key, length(${p})) = ${p}${after} ORDER BY key LIMIT ${page.limit}`,
    )
    return rows.map((r) => [r.key, new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength)])
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  #run<T>(what: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    this.#checkOpen()
    return this.#scope.transaction(what, fn)
  }

  /** One read-only statement, its values quoted in, in one round trip. */
  #read<R extends QueryResultRow>(sql: string): Promise<R[]> {
    this.#checkOpen()
    return this.#scope.readOnce<R>(`reading ${this.#name}`, sql)
  }

  #checkOpen(): void {
    if (this.#closed) throw new WeftError(ErrorCodes.CLOSED, `record store ${this.#name} is closed`)
  }
}
