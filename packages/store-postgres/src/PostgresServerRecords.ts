import { AsyncLocalStorage } from 'node:async_hooks'
import { ErrorCodes, WeftError, type KeyValueStore, type TokenLimit, type TokensTaken } from '@weft/core/backend'
import { escapeLiteral, type Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg'
import { storageCall } from './pgError.ts'

/** The locks the current async call chain holds, by name (so a section nested in itself does not wait for itself). */
const held = new AsyncLocalStorage<ReadonlySet<string>>()

/**
 * The server's own record store on PostgreSQL (`weft_server_kv`) with the steps several server
 * processes need to share state exactly: single-use records (`take`, one `DELETE … RETURNING`),
 * counters (`increment`, one upsert on `weft_server_counters`), locks (`exclusive`, a session
 * advisory lock held on a connection of a separate small pool, so a section never waits for a
 * connection its own work needs) and request-rate buckets (`takeTokens`, one conditional upsert on
 * `weft_server_buckets` in the function `weft_take_tokens`, timed by PostgreSQL's clock so
 * processes' clocks need not agree).
 *
 * Each of these, and each read, write and delete of one record, is a single statement: its own
 * transaction, one round trip, with no tenant context to set (these rows belong to no tenant).
 * They go as named prepared statements, so PostgreSQL plans each once per connection, unless
 * `prepared` is false (a pooler in transaction mode that cannot keep them, such as PgBouncer before
 * 1.21); the lock statements always do, on the lock pool's connections, which keep their session.
 */
export class PostgresServerRecords implements KeyValueStore {
  readonly #pool: Pool
  readonly #locks: () => Pool
  readonly #store: string
  readonly #prepared: boolean
  #closed = false

  constructor(options: { pool: Pool; locks: () => Pool; store: string; prepared?: boolean }) {
    this.#pool = options.pool
    this.#locks = options.locks
    this.#store = options.store
    this.#prepared = options.prepared ?? true
  }

  /** One statement on the main pool: named (prepared once per connection) unless `prepared` is off. */
  #query<R extends QueryResultRow>(statement: {
    name: string
    text: string
    values: unknown[]
  }): Promise<QueryResult<R>> {
    return this.#pool.query<R>(this.#prepared ? statement : { text: statement.text, values: statement.values })
  }

  get closed(): boolean {
    return this.#closed
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#checkOpen()
    // One statement reads one row consistently: no transaction or tenant context to open first.
    const { rows } = await storageCall(`reading ${this.#store}`, () =>
      this.#query<{ value: Buffer }>({
        name: 'weft-server-kv-get',
        text: 'SELECT value FROM weft_server_kv WHERE store = $1 AND key = $2',
        values: [this.#store, key],
      }),
    )
    return bytesOf(rows[0]?.value)
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.#checkOpen()
    // One statement is its own transaction: nothing to open, no tenant context to set.
    await storageCall(`writing ${this.#store}`, () =>
      this.#query({
        name: 'weft-server-kv-put',
        text: `INSERT INTO weft_server_kv (store, key, value) VALUES ($1, $2, $3)
               ON CONFLICT (store, key) DO UPDATE SET value = EXCLUDED.value`,
        values: [this.#store, key, Buffer.from(value.buffer, value.byteOffset, value.byteLength)],
      }),
    )
  }

  async delete(key: string): Promise<void> {
    this.#checkOpen()
    await storageCall(`writing ${this.#store}`, () =>
      this.#query({
        name: 'weft-server-kv-delete',
        text: 'DELETE FROM weft_server_kv WHERE store = $1 AND key = $2',
        values: [this.#store, key],
      }),
    )
  }

  async keys(prefix = ''): Promise<string[]> {
    this.#checkOpen()
    // Keys sort by bytes (COLLATE "C"); the prefix is matched exactly, not as a LIKE pattern.
    const { rows } = await storageCall(`reading ${this.#store}`, () =>
      this.#query<{ key: string }>({
        name: 'weft-server-kv-keys',
        text: 'SELECT key FROM weft_server_kv WHERE store = $1 AND key >= $2 AND left(key, length($2)) = $2 ORDER BY key',
        values: [this.#store, prefix],
      }),
    )
    return rows.map((r) => r.key)
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  async take(key: string): Promise<Uint8Array | undefined> {
    this.#checkOpen()
    const { rows } = await storageCall(`taking a record of ${this.#store}`, () =>
      this.#query<{ value: Buffer }>({
        name: 'weft-server-kv-take',
        text: 'DELETE FROM weft_server_kv WHERE store = $1 AND key = $2 RETURNING value',
        values: [this.#store, key],
      }),
    )
    return bytesOf(rows[0]?.value)
  }

  async increment(key: string, delta: number): Promise<number> {
    this.#checkOpen()
    if (!Number.isSafeInteger(delta))
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a counter moves by whole numbers')
    const { rows } = await storageCall(`counting in ${this.#store}`, () =>
      delta === 0
        ? this.#query<{ n: string }>({
            name: 'weft-counter-read',
            text: 'SELECT n FROM weft_server_counters WHERE store = $1 AND key = $2',
            values: [this.#store, key],
          })
        : this.#query<{ n: string }>({
            name: 'weft-counter-add',
            text: `INSERT INTO weft_server_counters AS c (store, key, n) VALUES ($1, $2, $3::float8)
                   ON CONFLICT (store, key) DO UPDATE SET n = c.n + EXCLUDED.n RETURNING n`,
            values: [this.#store, key, delta],
          }),
    )
    return Number(rows[0]?.n ?? 0)
  }

  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.#checkOpen()
    const mine = held.getStore()
    if (mine?.has(name)) return fn()
    const client: PoolClient = await storageCall('taking a lock', () => this.#locks().connect())
    let broken: Error | undefined
    try {
      await storageCall('taking a lock', () =>
        client.query({
          name: 'weft-lock',
          text: 'SELECT pg_advisory_lock(hashtext($1), hashtext($2))',
          values: [this.#store, name],
        }),
      )
      try {
        return await held.run(new Set([...(mine ?? []), name]), fn)
      } finally {
        await client
          .query({
            name: 'weft-unlock',
            text: 'SELECT pg_advisory_unlock(hashtext($1), hashtext($2))',
            values: [this.#store, name],
          })
          .catch((e: Error) => (broken = e))
      }
    } catch (err) {
      broken ??= err instanceof Error ? err : new Error(String(err))
      throw err
    } finally {
      // A connection whose unlock failed may still hold the lock: destroy it, which releases it.
      client.release(broken)
    }
  }

  /**
   * Runs `fn` on the record `key` holding the lock `name` in two round trips: a transaction that
   * takes the lock (`pg_advisory_xact_lock`, the same lock as {@link exclusive}) and reads the
   * record, then the write of what `fn` returned with the commit, which lets the lock go. On a
   * connection of the lock pool, as {@link exclusive}; a failure rolls back and writes nothing.
   */
  async update(
    name: string,
    key: string,
    fn: (value: Uint8Array | undefined) => Promise<Uint8Array | undefined>,
  ): Promise<void> {
    this.#checkOpen()
    const mine = held.getStore()
    if (mine?.has(name)) {
      // Held already by this call chain: a read and a write.
      const next = await fn(await this.get(key))
      if (next !== undefined) await this.put(key, next)
      return
    }
    const where = `store = ${escapeLiteral(this.#store)} AND key = ${escapeLiteral(key)}`
    const client: PoolClient = await storageCall('taking a lock', () => this.#locks().connect())
    let broken: Error | undefined
    try {
      const results = (await storageCall(`reading ${this.#store}`, () =>
        client.query(
          `BEGIN; SELECT pg_advisory_xact_lock(hashtext(${escapeLiteral(this.#store)}), hashtext(${escapeLiteral(name)})); ` +
            `SELECT value FROM weft_server_kv WHERE ${where}`,
        ),
      )) as unknown as QueryResult<{ value: Buffer }>[]
      const value = bytesOf(results[2]!.rows[0]?.value)
      const next = await held.run(new Set([...(mine ?? []), name]), () => fn(value))
      const write =
        next === undefined
          ? ''
          : `INSERT INTO weft_server_kv (store, key, value) VALUES (${escapeLiteral(this.#store)}, ${escapeLiteral(key)}, ` +
            `${escapeLiteral(`\\x${Buffer.from(next.buffer, next.byteOffset, next.byteLength).toString('hex')}`)}::bytea) ` +
            'ON CONFLICT (store, key) DO UPDATE SET value = EXCLUDED.value; '
      await storageCall(`writing ${this.#store}`, () => client.query(`${write}COMMIT`))
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e))
      throw err
    } finally {
      client.release(broken)
    }
  }

  async takeTokens(key: string, limit: TokenLimit, most: number): Promise<TokensTaken> {
    this.#checkOpen()
    const want = Math.max(1, Math.floor(most))
    if (limit.rate === Infinity) return { taken: want, wait: 0 }
    const burst = Math.max(1, limit.burst)
    // A statement that raced the one creating the bucket finds the row only once that commits,
    // after its own snapshot was taken: refused the tokens, it reads no row. The next statement
    // sees the row, so it asks again rather than guess.
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await this.#takeTokensOnce(key, limit.rate, burst, want)
      if (r)
        return r.taken > 0 ? { taken: r.taken, wait: 0 } : { taken: 0, wait: waitFor(Number(r.tokens), limit.rate) }
    }
    return { taken: 0, wait: waitFor(0, limit.rate) }
  }

  /**
   * One try: up to `most` whole tokens taken in one conditional upsert (a new bucket starts full),
   * the row saying how many; or, when the bucket holds no whole token, none and the tokens it
   * holds. Nothing when no row was read.
   */
  async #takeTokensOnce(
    key: string,
    rate: number,
    burst: number,
    most: number,
  ): Promise<{ taken: number; tokens: number } | undefined> {
    const { rows } = await storageCall(`taking request tokens in ${this.#store}`, () =>
      this.#query<{ taken: number; tokens: number }>({
        name: 'weft-take-tokens',
        // The statement is in the function (control migration 5), planned once per connection.
        text: 'SELECT taken, tokens FROM weft_take_tokens($1, $2, $3::float8, $4::float8, $5::integer)',
        values: [this.#store, key, rate, burst, most],
      }),
    )
    return rows[0] && { taken: Number(rows[0].taken), tokens: Number(rows[0].tokens) }
  }

  #checkOpen(): void {
    if (this.#closed) throw new WeftError(ErrorCodes.CLOSED, `record store ${this.#store} is closed`)
  }
}

/** pg hands out Buffers; callers get plain Uint8Arrays over the same memory. */
function bytesOf(b: Buffer | undefined): Uint8Array | undefined {
  return b && new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

/** Whole seconds (at least 1) until a bucket holding `tokens` holds one. */
function waitFor(tokens: number, rate: number): number {
  return Math.max(1, Math.ceil((1 - tokens) / rate))
}
