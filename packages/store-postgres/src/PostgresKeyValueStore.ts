import { ErrorCodes, WeftError, type KeyValueStore, type RecordPageOptions } from '@weft/core/backend'
import type { PoolClient } from 'pg'
import type { TenantScope } from './TenantScope.ts'

/**
 * The core `KeyValueStore` on a PostgreSQL table. A tenant's record store (named
 * `<tenant>/<name>`) keeps its rows in `weft_kv` in the tenant's scope, isolated like its change
 * stores; a store named without a slash belongs to no tenant (the server's own records) and keeps
 * its rows in the main database's `weft_server_kv`. Every write is its own transaction.
 */
export class PostgresKeyValueStore implements KeyValueStore {
  readonly #scope: TenantScope
  readonly #name: string
  /** The table and the condition that picks this store's rows ($1: tenant or unused, $2: store). */
  readonly #table: string
  readonly #where: string
  readonly #params: readonly [string, string]
  #closed = false

  private constructor(scope: TenantScope, name: string, tenantScoped: boolean) {
    this.#scope = scope
    this.#name = name
    this.#table = tenantScoped ? 'weft_kv' : 'weft_server_kv'
    this.#where = tenantScoped ? 'tenant_id = $1 AND store = $2' : '$1::text IS NOT NULL AND store = $2'
    this.#params = [scope.tenant, name]
  }

  /** A tenant's record store `name` in `scope`. */
  static forTenant(scope: TenantScope, name: string): PostgresKeyValueStore {
    return new PostgresKeyValueStore(scope, name, true)
  }

  /** A record store that belongs to no tenant, in the main database's `weft_server_kv` (`scope`: main pool, public). */
  static forServer(scope: TenantScope, name: string): PostgresKeyValueStore {
    return new PostgresKeyValueStore(scope, name, false)
  }

  get closed(): boolean {
    return this.#closed
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const { rows } = await this.#run(
      `reading ${this.#name}`,
      (c) =>
        c.query<{ value: Buffer }>(`SELECT value FROM ${this.#table} WHERE ${this.#where} AND key = $3`, [
          ...this.#params,
          key,
        ]),
      true,
    )
    const b = rows[0]?.value
    return b && new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    const cols =
      this.#table === 'weft_kv'
        ? '(tenant_id, store, key, value) VALUES ($1, $2, $3, $4)'
        : '(store, key, value) SELECT $2, $3, $4 WHERE $1::text IS NOT NULL'
    const conflict = this.#table === 'weft_kv' ? '(tenant_id, store, key)' : '(store, key)'
    await this.#run(`writing ${this.#name}`, (c) =>
      c.query(`INSERT INTO ${this.#table} ${cols} ON CONFLICT ${conflict} DO UPDATE SET value = EXCLUDED.value`, [
        ...this.#params,
        key,
        Buffer.from(value.buffer, value.byteOffset, value.byteLength),
      ]),
    )
  }

  async delete(key: string): Promise<void> {
    await this.#run(`writing ${this.#name}`, (c) =>
      c.query(`DELETE FROM ${this.#table} WHERE ${this.#where} AND key = $3`, [...this.#params, key]),
    )
  }

  async keys(prefix = ''): Promise<string[]> {
    const { rows } = await this.#run(
      `reading ${this.#name}`,
      (c) =>
        // Keys sort by bytes (COLLATE "C"); the prefix is matched exactly, not as a LIKE pattern.
        c.query<{ key: string }>(
          `SELECT key FROM ${this.#table} WHERE ${this.#where} AND key >= $3 AND left(key, length($3)) = $3 ORDER BY key`,
          [...this.#params, prefix],
        ),
      true,
    )
    return rows.map((r) => r.key)
  }

  async entries(prefix: string, page: RecordPageOptions): Promise<[string, Uint8Array][]> {
    const { rows } = await this.#run(
      `reading ${this.#name}`,
      (c) =>
        c.query<{ key: string; value: Buffer }>(
          `SELECT key, value FROM ${this.#table} WHERE ${this.#where} AND key >= $3 AND left(key, length($3)) = $3
             AND ($4::text IS NULL OR key > $4) ORDER BY key LIMIT $5`,
          [...this.#params, prefix, page.after ?? null, page.limit],
        ),
      true,
    )
    return rows.map((r) => [r.key, new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength)])
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  #run<T>(what: string, fn: (c: PoolClient) => Promise<T>, readOnly = false): Promise<T> {
    if (this.#closed) throw new WeftError(ErrorCodes.CLOSED, `record store ${this.#name} is closed`)
    return this.#scope.transaction(what, fn, { readOnly })
  }
}
