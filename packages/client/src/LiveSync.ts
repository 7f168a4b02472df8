import {
  Database,
  ErrorCodes,
  WeftError,
  type PresenceEndpoint,
  type BackoffOptions,
  type ChangeHash,
  type ChangeStore,
  type ProgressOptions,
} from '@weft/core'
import { Emitter, MemoryKeyValueStore, toWeftError, type EntryEnvelope, type KeyValueStore } from '@weft/core/backend'
import { encodeBody, type ClientSocketMessage, type ServerSocketMessage } from '@weft/protocol'
import { ConfirmedCursor } from './ConfirmedCursor.ts'
import { GapRepair } from './GapRepair.ts'
import { listenSocket } from './listenSocket.ts'
import { LiveProgress, type LiveSyncEvents } from './LiveProgress.ts'
import { LiveStatus } from './LiveStatus.ts'
import { LocalOutflow } from './LocalOutflow.ts'
import { Reconnects } from './Reconnects.ts'
import type { RemoteChangeStore } from './RemoteChangeStore.ts'
import { RefusedEntries } from './RefusedEntries.ts'
import { ServerCursor } from './ServerCursor.ts'
import { ServerInflow } from './ServerInflow.ts'
import { SocketInbox } from './SocketInbox.ts'
import { SocketPresence } from './SocketPresence.ts'
import type { SyncStatus } from './SyncStatus.ts'
import {
  droppedError,
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
  readonly #serverCursor: ServerCursor
  readonly #reconnects: Reconnects
  readonly #status: LiveStatus
  readonly #pending = new Set<ChangeHash>()
  readonly #inflow: ServerInflow
  /** Local entries the server refused on their last push, and why. */
  readonly #refused = new RefusedEntries()
  readonly #confirmed: ConfirmedCursor
  readonly #repair: GapRepair
  readonly #outflow: LocalOutflow
  readonly #inbox = new SocketInbox(
    RECEIVE_BATCH,
    (ws, m) => this.#receive(ws, m),
    (ws, e) => this.#drop(ws, e),
  )
  #ws: WebSocketLike | null = null
  #running = false
  #caughtUp = false
  #unsubscribe: (() => void) | undefined
  #lastError: WeftError | undefined
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
    const cursors = options.cursors ?? new MemoryKeyValueStore()
    const c = options.remote.connection
    this.#serverCursor = new ServerCursor(cursors, `weft-live/${c.url}/${c.tenant}/${options.remote.db}`)
    this.#confirmed = new ConfirmedCursor(
      this.#local,
      cursors,
      `weft-live-confirmed/${c.url}/${c.tenant}/${options.remote.db}`,
    )
    this.#reconnects = new Reconnects(options.backoff)
    this.#status = new LiveStatus({
      pending: this.#pending,
      refused: this.#refused,
      progress: this.#progress,
      confirmed: this.#confirmed,
    })
    const parts = { local: this.#local, remote: this.#remote, pending: this.#pending, progress: this.#progress }
    this.#repair = new GapRepair({ ...parts, inflow: this.#inflow, confirmed: this.#confirmed, batch: PUSH_BATCH })
    this.#outflow = new LocalOutflow({
      ...parts,
      refused: this.#refused,
      batch: PUSH_BATCH,
      canSend: () => this.#running && this.#ws?.readyState === OPEN && this.#caughtUp,
      update: () => this.#update(),
      failed: (error) => {
        this.#lastError = error
        this.#ws?.close() // reconnect, reconcile, and try again
      },
    })
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
    this.#repair.presume(() => this.#update())
    this.#unsubscribe ??= this.#local.subscribe((added) => {
      for (const h of added) if (!this.#inflow.landed(h)) this.#pending.add(h)
      this.#update()
      void this.#outflow.push()
    })
    void this.#connect()
  }

  /**
   * Closes the link. Local edits keep counting as `pending` in the `offline` status, and go out
   * on the next `start`.
   */
  async stop(): Promise<void> {
    this.#running = false
    this.#reconnects.cancel()
    this.#presence.close()
    this.#ws?.close()
    this.#ws = null
    await this.#inbox.idle()
    this.#status.offline()
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
    listenSocket(ws, c, {
      open: () => {
        this.#caughtUp = false
        this.#progress.begin('copy', this.#pending.size)
        this.#update()
        void this.#serverCursor.load().then((since) => {
          this.#send(ws, { type: 'subscribe', db: this.#remote.db, since })
          if (this.#ws === ws) this.#presence.open((m) => this.#send(ws, m))
        })
      },
      message: (m) => {
        // Presence does not wait behind entries being stored.
        if (m.type === 'presence' || m.type === 'presence-refused') {
          if (this.#ws === ws) this.#presence.receive(m)
          return
        }
        this.#inbox.push(ws, m)
      },
      unreadable: (error) => this.#drop(ws, error),
      close: (ev, opened) => {
        if (this.#ws !== ws) return
        this.#ws = null
        this.#presence.close()
        this.#caughtUp = false
        this.#fail(droppedError(ev, c, url, opened, this.#lastError), reconnectsAtOnce(ev))
      },
    })
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
    await this.#serverCursor.save(m.cursor) // only after the entries are durable here
    if (m.done && !this.#caughtUp && this.#ws === ws) {
      await this.#repair.run()
      this.#caughtUp = true
      this.#reconnects.reset() // only a link that got this far resets the backoff
      this.#lastError = undefined
    }
    this.#update()
    void this.#outflow.push()
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
    const delay = this.#reconnects.delay(atOnce)
    this.#status.offline({ retryInMs: delay, error })
    this.#reconnects.schedule(() => void this.#connect(), delay)
  }

  #drop(ws: WebSocketLike, error: WeftError): void {
    this.#lastError = error
    ws.close()
  }

  #update(): void {
    this.#status.update(this.#running && this.#ws?.readyState === OPEN, this.#caughtUp, this.#outflow.pushing)
  }

  #send(ws: WebSocketLike, m: ClientSocketMessage): void {
    if (ws.readyState === OPEN) ws.send(encodeBody(m))
  }
}
