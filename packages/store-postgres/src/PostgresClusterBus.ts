import { randomUUID } from 'node:crypto'
import { decodeClusterMessage, encodeClusterMessage, type ClusterBus, type ClusterMessage } from '@weft/core/backend'
import pg, { type Pool } from 'pg'

/** The channel every Weft process of one main database listens on. */
export const CLUSTER_CHANNEL = 'weft_cluster'

/** Most messages one statement sends. */
const MAX_BATCH = 64

/** Options of a {@link PostgresClusterBus}. */
export interface PostgresClusterBusOptions {
  /** The main database's URL (NOTIFY reaches the listeners of one database). */
  readonly url: string
  /** Where it publishes from: a pool it shares (not ended by {@link PostgresClusterBus.close}). */
  readonly pool: Pool
  /** First wait before reconnecting a lost listening connection, doubled up to `maxBackoffMs`. Default 100. */
  readonly backoffMs?: number
  readonly maxBackoffMs?: number
}

/**
 * A {@link ClusterBus} on PostgreSQL's `LISTEN/NOTIFY`: one dedicated connection listens on
 * {@link CLUSTER_CHANNEL}; messages are published with `pg_notify` through the shared pool, so a
 * message sent inside no transaction is delivered at once (those published in the same turn of
 * the event loop, or while a send is under way, go together in one statement). When the listening
 * connection drops, it reconnects with backoff and then calls the gap handlers: notifications sent
 * meanwhile are lost, and receivers catch up by reading the storage.
 */
export class PostgresClusterBus implements ClusterBus {
  readonly #origin = randomUUID()
  readonly #options: PostgresClusterBusOptions
  readonly #handlers = new Set<(message: ClusterMessage) => void>()
  readonly #gaps = new Set<() => void>()
  #client: pg.Client | undefined
  /** Messages waiting for the send under way. */
  readonly #outbox: { payload: string; resolve: () => void; reject: (err: unknown) => void }[] = []
  #sending = false
  /** A send is to start once the current turn of the event loop ends. */
  #scheduled = false
  #ready: Promise<void>
  #closed = false
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(options: PostgresClusterBusOptions) {
    this.#options = options
    this.#ready = this.#connect(options.backoffMs ?? 100, false)
  }

  /** This process's id on the bus (messages it sends carry it; it skips them when they come back). */
  get origin(): string {
    return this.#origin
  }

  ready(): Promise<void> {
    return this.#ready
  }

  /**
   * Sends `message` once the current turn of the event loop ends, with every message published
   * in that turn; while a send is under way, the messages published meanwhile wait for it. Either
   * way they go together, in order, in one statement: a server publishing a push's notice and its
   * event, or a busy process, makes a round trip per batch, not per message. (PostgreSQL delivers
   * equal notifications of one transaction once: two identical messages in one batch arrive as
   * one.)
   */
  async publish(message: ClusterMessage): Promise<void> {
    if (this.#closed) return
    const payload = encodeClusterMessage(this.#origin, message)
    await new Promise<void>((resolve, reject) => {
      this.#outbox.push({ payload, resolve, reject })
      if (this.#sending || this.#scheduled) return
      this.#scheduled = true
      setImmediate(() => {
        this.#scheduled = false
        if (!this.#sending) void this.#send()
      })
    })
  }

  /** Sends what waits in the outbox, a batch per statement, until it is empty. */
  async #send(): Promise<void> {
    this.#sending = true
    try {
      while (this.#outbox.length) {
        const batch = this.#outbox.splice(0, MAX_BATCH)
        const calls = batch.map((_, i) => `pg_notify($1, $${i + 2})`).join(', ')
        try {
          await this.#options.pool.query(`SELECT ${calls}`, [CLUSTER_CHANNEL, ...batch.map((m) => m.payload)])
          for (const m of batch) m.resolve()
        } catch (err) {
          for (const m of batch) m.reject(err)
        }
      }
    } finally {
      this.#sending = false
    }
  }

  subscribe(handler: (message: ClusterMessage) => void): () => void {
    this.#handlers.add(handler)
    return () => this.#handlers.delete(handler)
  }

  onGap(handler: () => void): () => void {
    this.#gaps.add(handler)
    return () => this.#gaps.delete(handler)
  }

  /** The listening connection's backend pid (tests cut it with `pg_terminate_backend`). */
  async listenerPid(): Promise<number | undefined> {
    await this.#ready
    return (this.#client as (pg.Client & { processID?: number }) | undefined)?.processID
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#handlers.clear()
    this.#gaps.clear()
    const c = this.#client
    this.#client = undefined
    await c?.end().catch(() => {})
  }

  /** Connects and listens; on failure or a later drop, tries again after `wait` (doubling). */
  async #connect(wait: number, reconnect: boolean): Promise<void> {
    while (!this.#closed) {
      const client = new pg.Client({ connectionString: this.#options.url })
      try {
        client.on('error', () => {})
        await client.connect()
        await client.query(`LISTEN ${CLUSTER_CHANNEL}`)
      } catch {
        await client.end().catch(() => {})
        await new Promise((r) => (this.#timer = setTimeout(r, wait)))
        wait = Math.min(wait * 2, this.#options.maxBackoffMs ?? 5_000)
        reconnect = true
        continue
      }
      if (this.#closed) {
        await client.end().catch(() => {})
        return
      }
      this.#client = client
      client.on('notification', (n) => this.#deliver(n.payload))
      client.once('end', () => this.#lost(client))
      client.once('error', () => this.#lost(client))
      if (reconnect) for (const g of this.#gaps) g()
      return
    }
  }

  #deliver(payload: string | undefined): void {
    const decoded = payload === undefined ? undefined : decodeClusterMessage(payload)
    if (!decoded || decoded.origin === this.#origin) return
    for (const h of this.#handlers) h(decoded.message)
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client || this.#closed) return
    this.#client = undefined
    void client.end().catch(() => {})
    this.#ready = this.#connect(this.#options.backoffMs ?? 100, true)
  }
}
