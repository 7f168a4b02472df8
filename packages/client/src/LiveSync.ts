import {
  Database,
  ErrorCodes,
  WeftError,
  type PresenceEndpoint,
  type BackoffOptions,
  type ChangeHash,
  type ChangeStore,
  type Cursor,
  type ProgressOptions,
} from '@weft/core'
import {
  backoffDelay,
  Emitter,
  MemoryKeyValueStore,
  packValue,
  toWeftError,
  unpackValue,
  type EntryEnvelope,
  type KeyValueStore,
} from '@weft/core/backend'
import {
  decodeAnswer,
  encodeBody,
  parseServerSocketMessage,
  type ClientSocketMessage,
  type ServerSocketMessage,
} from '@weft/protocol'
import { arrivalOrder } from './arrivalOrder.ts'
import { ConfirmedCursor } from './ConfirmedCursor.ts'
import { takeMerged, type Received } from './mergePages.ts'
import { LiveProgress, type LiveSyncEvents } from './LiveProgress.ts'
import type { RemoteChangeStore } from './RemoteChangeStore.ts'
import { RefusedEntries } from './RefusedEntries.ts'
import { ServerInflow } from './ServerInflow.ts'
import { SocketPresence } from './SocketPresence.ts'
import { StatusCell, type SyncStatus } from './SyncStatus.ts'
import {
  closeError,
  reconnectsAtOnce,
  socketUrl,
  webSocketOf,
  SOCKET_OPEN as OPEN,
  type WebSocketConstructor,
  type WebSocketLike,
} from './webSocket.ts'

export type { WebSocketLike, WebSocketConstructor } from './webSocket.ts'

/**
 * Options of a {@link LiveSync}. `onProgress` hears each catch-up's progress (see
 * {@link LiveSync}), throttled to one report per `progressInterval` milliseconds (default 100).
 */
export interface LiveSyncOptions extends ProgressOptions {
  /** The local side: a database (received entries are materialised) or a bare store. */
  readonly local: Database | ChangeStore
  /** The same database on the server. */
  readonly remote: RemoteChangeStore
  /** WebSocket implementation. Default: the global `WebSocket` (browsers, Node 22+); pass `ws` in Node 20. */
  readonly webSocket?: WebSocketConstructor
  /**
   * Where the server cursor is saved, per (server, tenant, database), and how far the local store
   * was confirmed on the server (so that a sync started after a restart counts unsent local
   * entries as `pending` before it reaches the server). Default: in memory.
   */
  readonly cursors?: KeyValueStore
  /** Reconnect delays (core's equal-jitter backoff). Default: from 250 ms, doubling, up to 30 s. */
  readonly backoff?: BackoffOptions
  /**
   * Presences to carry on this sync's socket (`db.presence`, `tenant.presence`): their messages go
   * through the relay to the tenant's other sockets watching the same scope, while linked.
   * Default: none.
   */
  readonly presence?: PresenceEndpoint | readonly PresenceEndpoint[]
}

const PUSH_BATCH = 1_000
/** Most entries and entry bytes in one append of received pages (pages queued behind each other are merged). */
const RECEIVE_BATCH = { entries: 2_000, bytes: 16 * 1024 * 1024 }

/**
 * Keeps a local database and its copy on a server in sync while it runs. On each connection it
 * subscribes from the saved server cursor (the fast path: only entries after it are sent), then
 * reconciles both sets (the repair path: finds, in bytes ∝ the difference, what either side
 * missed, such as edits made offline) and pushes what the server lacks. Afterwards every new
 * server entry arrives within one push and every local entry is sent as it is written. Drops are
 * retried with backoff and jitter; the status says where it stands. Local entries the server
 * refuses (over the tenant's quota, say) stay in the local store, are counted in the status's
 * `refused`, and are offered again on the next connection.
 *
 * Each catch-up reports progress like every other sync (`onProgress`, and the `sync-progress`
 * event): it starts when the sync has work (a connection catching up, local entries to send) and
 * ends with one `done` report, and a `sync-completed` event, when it is up to date with nothing
 * pending. Entries the server pushes while the sync is up to date are not a catch-up.
 *
 * ```ts
 * const live = new LiveSync({ local: db, remote, webSocket: WebSocket })
 * live.start()
 * await live.whenReady()
 * live.subscribe((s) => render(s.state))
 * ```
 */
export class LiveSync {
  readonly #local: ChangeStore
  readonly #db: Database | undefined
  readonly #remote: RemoteChangeStore
  readonly #WS: WebSocketConstructor
  readonly #cursors: KeyValueStore
  readonly #cursorKey: string
  readonly #backoff: BackoffOptions
  readonly #status = new StatusCell({ state: 'offline', pending: 0 })
  readonly #pending = new Set<ChangeHash>()
  readonly #inflow: ServerInflow
  /** Local entries the server refused on their last push, and why. */
  readonly #refused = new RefusedEntries()
  readonly #confirmed: ConfirmedCursor
  /** Local entries counted as pending from the confirmed cursor, until the first reconciliation says which the server lacks. */
  #presumed: Promise<Set<ChangeHash>> | undefined
  #ws: WebSocketLike | null = null
  #attempt = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #running = false
  #caughtUp = false
  #pushing = false
  #queue: Promise<void> = Promise.resolve()
  /** Socket messages received and not yet handled, in order; `#queue` handles them one at a time. */
  readonly #inbox: Received[] = []
  #unsubscribe: (() => void) | undefined
  #lastError: WeftError | undefined
  /** The last drop reconnected at once (the server went away); the next waits. */
  #hurried = false
  readonly #presence: SocketPresence
  readonly #events = new Emitter<LiveSyncEvents>()
  readonly #progress: LiveProgress

  constructor(options: LiveSyncOptions) {
    this.#progress = new LiveProgress(options, (event, payload) => this.#events.emit(event, payload))
    this.#db = options.local instanceof Database ? options.local : undefined
    this.#local = options.local instanceof Database ? options.local.getStore() : options.local
    this.#remote = options.remote
    this.#inflow = new ServerInflow(this.#local, this.#db)
    const WS = webSocketOf(options.webSocket)
    if (!WS)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'no WebSocket here: pass one (the `ws` package in Node 20)')
    this.#WS = WS
    this.#cursors = options.cursors ?? new MemoryKeyValueStore()
    const c = options.remote.connection
    this.#cursorKey = `weft-live/${c.url}/${c.tenant}/${options.remote.db}`
    this.#confirmed = new ConfirmedCursor(
      this.#local,
      this.#cursors,
      `weft-live-confirmed/${c.url}/${c.tenant}/${options.remote.db}`,
    )
    this.#backoff = { initialMs: 250, maxMs: 30_000, ...options.backoff }
    const presence = options.presence
    this.#presence = new SocketPresence(presence === undefined ? [] : Array.isArray(presence) ? presence : [presence])
  }

  /** Presence messages of this client the relay refused (over its rate, too large), since it was made. */
  get presenceRefused(): number {
    return this.#presence.refused
  }

  /** The status now. */
  peek(): SyncStatus {
    return this.#status.peek()
  }

  /** Calls `listener` with every new status; returns an unsubscribe function. */
  subscribe(listener: (s: SyncStatus) => void): () => void {
    return this.#status.subscribe(listener)
  }

  /** Adds an event listener (`sync-progress`, `sync-completed`); returns a function that removes it. */
  on<K extends keyof LiveSyncEvents>(event: K, listener: (payload: LiveSyncEvents[K]) => void): () => void {
    return this.#events.on(event, listener)
  }

  /** Resolves when up to date with nothing pending; rejects on a fatal error or through `signal`. */
  whenReady(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#status.whenReady(options)
  }

  /** Connects and keeps the link up until {@link stop}. */
  start(): void {
    if (this.#running) return
    this.#running = true
    this.#presumed ??= this.#confirmed.unconfirmed().then(
      (hashes) => {
        for (const h of hashes) this.#pending.add(h)
        this.#update()
        return new Set(hashes)
      },
      () => new Set<ChangeHash>(), // a count only: reconciliation finds them anyway
    )
    this.#unsubscribe ??= this.#local.subscribe((added) => {
      for (const h of added) if (!this.#inflow.landed(h)) this.#pending.add(h)
      this.#update()
      void this.#push()
    })
    void this.#connect()
  }

  /**
   * Closes the link. Local edits keep counting as `pending` in the `offline` status, and go out
   * on the next `start`.
   */
  async stop(): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    this.#presence.close()
    this.#ws?.close()
    this.#ws = null
    await this.#queue
    this.#status.set({ state: 'offline', pending: this.#pending.size, ...this.#refused.part() })
  }

  /** Stops and stops listening to the local store; the instance is done. */
  async close(): Promise<void> {
    await this.stop()
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
  }

  async #connect(): Promise<void> {
    if (!this.#running) return
    let token: string
    try {
      token = await this.#remote.connection.token()
    } catch (err) {
      return this.#fail(toWeftError(err, ErrorCodes.NETWORK))
    }
    if (!this.#running) return
    const c = this.#remote.connection
    const url = c.url
    const ws = new this.#WS(socketUrl(c, token))
    ws.binaryType = 'arraybuffer'
    this.#ws = ws
    let opened = false
    ws.onopen = () => {
      opened = true
      this.#caughtUp = false
      this.#progress.begin('copy', this.#pending.size)
      this.#update()
      void this.#cursor().then((since) => {
        this.#send(ws, { type: 'subscribe', db: this.#remote.db, since })
        if (this.#ws === ws) this.#presence.open((m) => this.#send(ws, m))
      })
    }
    ws.onmessage = (ev: { data: unknown }) => {
      const data = ev.data instanceof ArrayBuffer ? new Uint8Array(ev.data) : (ev.data as Uint8Array)
      let m: ServerSocketMessage
      try {
        m = parseServerSocketMessage(decodeAnswer<unknown>(data), this.#remote.connection.limits)
      } catch (err) {
        return this.#drop(ws, toWeftError(err, ErrorCodes.PROTOCOL))
      }
      // Presence does not wait behind entries being stored.
      if (m.type === 'presence' || m.type === 'presence-refused') {
        if (this.#ws === ws) this.#presence.receive(m)
        return
      }
      this.#inbox.push({ ws, m })
      this.#queue = this.#queue.then(() => this.#next())
    }
    ws.onclose = (ev: { code?: number; reason?: string }) => {
      if (this.#ws !== ws) return
      this.#ws = null
      this.#presence.close()
      this.#caughtUp = false
      if (!opened) c.invalidate() // refused at the door: maybe a stale token
      this.#fail(
        closeError(ev, c, url) ??
          this.#lastError ??
          new WeftError(ErrorCodes.NETWORK, 'connection to the server closed'),
        reconnectsAtOnce(ev),
      )
    }
    ws.onerror = () => {}
  }

  /** Handles the next message waiting, merged with the pages queued behind it. */
  async #next(): Promise<void> {
    const next = takeMerged(this.#inbox, RECEIVE_BATCH)
    if (!next) return // merged into an earlier one
    const ws = next.ws as WebSocketLike
    try {
      await this.#receive(ws, next.m)
    } catch (err) {
      this.#drop(ws, toWeftError(err, ErrorCodes.PROTOCOL))
    }
  }

  async #receive(ws: WebSocketLike, m: ServerSocketMessage): Promise<void> {
    if (this.#ws !== ws) return
    if (m.type === 'error') {
      // The subscription failed (a database over the tenant's quota, the server's storage): drop
      // the link and retry with growing delays, the error in the status.
      this.#drop(ws, new WeftError(m.code as WeftError['code'], m.message))
      return
    }
    if (m.type !== 'entries' || m.db !== this.#remote.db) return
    if (!this.#caughtUp || this.#progress.running) this.#progress.moved('received', m.entries, this.#pending.size)
    if (m.entries.length) {
      // Our own pushes come back too: skip what is held (a lookup is far cheaper than a signature check).
      const held = await this.#local.has(m.entries.map((e) => e.hash as ChangeHash))
      await this.#inflow.append(m.entries.filter((_, i) => !held[i]) as EntryEnvelope[])
      for (const e of m.entries) this.#pending.delete(e.hash as ChangeHash)
      this.#refused.forget(m.entries.map((e) => e.hash as ChangeHash))
    }
    await this.#cursors.put(this.#cursorKey, packValue(m.cursor)) // only after the entries are durable here
    if (m.done && !this.#caughtUp && this.#ws === ws) {
      await this.#repair()
      this.#caughtUp = true
      this.#attempt = 0 // only a link that got this far resets the backoff
      this.#hurried = false
      this.#lastError = undefined
    }
    this.#update()
    void this.#push()
  }

  /** Reconciles with the server: fetches what it missed, queues what the server lacks. */
  async #repair(): Promise<void> {
    const presumed = (await this.#presumed) ?? new Set<ChangeHash>()
    this.#presumed = Promise.resolve(new Set())
    this.#progress.reconciling()
    const found = await this.#remote.reconcileWith(this.#local)
    // Reconciliation names hashes in hash order. Sent or fetched over several batches in that
    // order, most entries would arrive before the later entry of their chain that vouches for
    // them, and be signature-checked one by one (by the server and by the receiver); in arrival
    // order each batch costs one check per chain. One batch is ordered inside its append anyway.
    // The price: a store without an arrival index by hash walks its order up to the newest of
    // `have` (the newest entries, after an offline spell), and the server answers in requests of
    // `maxHashesPerRequest` hashes; both far cheaper than a signature check per entry.
    const have = found.have.length > PUSH_BATCH ? await arrivalOrder(this.#local, found.have) : found.have
    const need = found.need.length > PUSH_BATCH ? await arrivalOrder(this.#remote, found.need) : found.need
    const lacking = new Set(have)
    for (const h of presumed) if (!lacking.has(h)) this.#pending.delete(h) // the server had it after all
    for (const h of have) this.#pending.add(h)
    this.#progress.expect(need.length + this.#pending.size)
    for (let i = 0; i < need.length; i += PUSH_BATCH) {
      const vouched = this.#local.vouched ? { vouched: this.#local.vouched.bind(this.#local) } : {}
      const { entries } = await this.#remote.getChangesChecked(need.slice(i, i + PUSH_BATCH), vouched)
      await this.#inflow.append(entries)
      this.#progress.moved('received', entries, Math.max(0, need.length - i - PUSH_BATCH) + this.#pending.size)
    }
  }

  /**
   * Sends pending local entries while connected and caught up. One batch at a time: measured,
   * a second batch in flight only makes the server's verification compete with itself.
   */
  async #push(): Promise<void> {
    if (this.#pushing) return
    this.#pushing = true
    try {
      while (this.#running && this.#ws?.readyState === OPEN && this.#caughtUp && this.#pending.size) {
        this.#update()
        const batch = [...this.#pending].slice(0, PUSH_BATCH)
        const entries = await this.#local.getChanges(batch)
        const r = await this.#remote.relay(entries)
        const found = new Set(entries.map((e) => e.hash))
        const gone = batch.filter((h) => !found.has(h)) // no longer held here: nothing to send
        for (const h of [...r.added, ...r.existing, ...gone]) this.#pending.delete(h)
        this.#refused.forget([...r.added, ...r.existing, ...gone])
        for (const { hash, error } of r.rejected) {
          this.#pending.delete(hash)
          this.#refused.refuse(hash, error)
        }
        this.#progress.moved('sent', entries, this.#pending.size)
      }
    } catch (err) {
      this.#lastError = toWeftError(err, ErrorCodes.NETWORK)
      this.#ws?.close() // reconnect, reconcile, and try again
    } finally {
      this.#pushing = false
      this.#update()
    }
  }

  /**
   * Reports a drop and schedules the next connection: at once when the server process went away
   * (once per link that caught up, so a service that keeps sending clients away still backs
   * off), else after a backoff delay.
   */
  #fail(error: WeftError, atOnce = false): void {
    this.#lastError = undefined
    if (!this.#running) return
    if (error.code === ErrorCodes.FORBIDDEN || error.code === ErrorCodes.UNAUTHORIZED) {
      this.#running = false
      this.#status.set({ state: 'error', error })
      return
    }
    const hurry = atOnce && !this.#hurried
    this.#hurried ||= hurry
    const delay = hurry ? 0 : backoffDelay(++this.#attempt, Math.random, this.#backoff)
    this.#status.set({
      state: 'offline',
      pending: this.#pending.size,
      retryInMs: delay,
      error,
      ...this.#refused.part(),
    })
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.#connect(), delay)
  }

  #drop(ws: WebSocketLike, error: WeftError): void {
    this.#lastError = error
    ws.close()
  }

  #update(): void {
    const pending = this.#pending.size
    const now = this.#status.peek()
    const refused = this.#refused.part()
    if (!this.#running || this.#ws?.readyState !== OPEN) {
      if (now.state === 'offline') {
        const { refused: _, ...rest } = now
        this.#status.set({ ...rest, pending, ...refused })
      }
      return
    }
    const state = this.#caughtUp && !(this.#pushing && pending) ? 'up-to-date' : 'syncing'
    this.#status.set({ state, pending, ...refused })
    if (state === 'up-to-date' && pending === 0) this.#progress.finish()
    // Everything here is on the server: remember how far. A count only, so a failure costs nothing.
    const clear = () => this.#pending.size === 0 && !this.#refused.summary
    if (state === 'up-to-date' && clear()) void this.#confirmed.confirmAll(clear).catch(() => {})
  }

  async #cursor(): Promise<Cursor | null> {
    const bytes = await this.#cursors.get(this.#cursorKey)
    return bytes ? unpackValue<Cursor>(bytes, 1024) : null
  }

  #send(ws: WebSocketLike, m: ClientSocketMessage): void {
    if (ws.readyState === OPEN) ws.send(encodeBody(m))
  }
}
