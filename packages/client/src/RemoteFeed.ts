import { backoffDelay, ErrorCodes, toWeftError, WeftError, type BackoffOptions, type Cursor } from '@weft/core/backend'
import { decodeAnswer, encodeBody, parseServerSocketMessage, type WireEntry } from '@weft/protocol'
import type { ServerConnection } from './ServerConnection.ts'
import {
  droppedError,
  reconnectsAtOnce,
  socketBytes,
  socketUrl,
  SOCKET_OPEN,
  type WebSocketConstructor,
  type WebSocketLike,
} from './webSocket.ts'

/**
 * Where a remote store's live feed stands:
 * - `off`: nothing listens to the store (or it is closed), so no socket is open;
 * - `connecting`: opening the socket, or catching up from the cursor;
 * - `live`: subscribed and caught up: each new entry on the server is announced as it lands;
 * - `offline`: the link dropped; the next attempt is in `retryInMs`, resuming from the last cursor;
 * - `error`: stopped on a failure retrying cannot fix (a revoked or unregistered key).
 */
export type LiveFeedState =
  | { readonly state: 'off' }
  | { readonly state: 'connecting' }
  | { readonly state: 'live' }
  | { readonly state: 'offline'; readonly retryInMs: number; readonly error: WeftError }
  | { readonly state: 'error'; readonly error: WeftError }

/** What a {@link RemoteFeed} needs. */
export interface RemoteFeedOptions {
  readonly connection: ServerConnection
  readonly db: string
  readonly webSocket: WebSocketConstructor
  readonly backoff: BackoffOptions
  /** Called, one page after the other, with the entries the server sent; the cursor advances after it returns. */
  readonly receive: (entries: readonly WireEntry[]) => Promise<void>
}

/**
 * The server's live subscription of one database, for a {@link RemoteChangeStore} that has
 * listeners: it subscribes from a cursor, hands each page of entries on, keeps the cursor of the
 * last page handed on, and after a drop reconnects with backoff and resumes from that cursor, so
 * nothing stored on the server in between is missed.
 */
export class RemoteFeed {
  readonly #o: RemoteFeedOptions
  readonly #listeners = new Set<(s: LiveFeedState) => void>()
  #state: LiveFeedState = { state: 'off' }
  #since: Promise<Cursor | null> | undefined
  #ws: WebSocketLike | null = null
  #running = false
  #attempt = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #queue: Promise<void> = Promise.resolve()
  #lastError: WeftError | undefined
  /** The last drop reconnected at once (the server went away); the next waits. */
  #hurried = false

  constructor(options: RemoteFeedOptions) {
    this.#o = options
  }

  get running(): boolean {
    return this.#running
  }

  peek(): LiveFeedState {
    return this.#state
  }

  /** Calls `listener` with every new state; returns an unsubscribe function. */
  subscribe(listener: (s: LiveFeedState) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Starts from `since` (read when the first socket opens); does nothing when already running. */
  start(since: () => Promise<Cursor | null>): void {
    if (this.#running) return
    this.#running = true
    this.#attempt = 0
    const p = since()
    p.catch(() => undefined) // a failure is retried when the socket opens
    this.#since = p
    this.#set({ state: 'connecting' })
    void this.#connect()
  }

  /** Closes the socket and forgets the cursor. */
  stop(): void {
    this.#running = false
    clearTimeout(this.#timer)
    const ws = this.#ws
    this.#ws = null
    ws?.close()
    this.#set({ state: 'off' })
  }

  async #connect(): Promise<void> {
    if (!this.#running) return
    const c = this.#o.connection
    let token: string
    try {
      token = await c.token()
    } catch (err) {
      return this.#fail(toWeftError(err, ErrorCodes.NETWORK))
    }
    if (!this.#running) return
    const url = c.url
    const ws = new this.#o.webSocket(socketUrl(c, token))
    ws.binaryType = 'arraybuffer'
    this.#ws = ws
    let opened = false
    ws.onopen = () => {
      opened = true
      this.#queue = this.#queue
        .then(async () => {
          const since = await this.#cursor()
          if (this.#ws === ws && ws.readyState === SOCKET_OPEN)
            ws.send(encodeBody({ type: 'subscribe', db: this.#o.db, since }))
        })
        .catch((err) => this.#drop(ws, toWeftError(err, ErrorCodes.NETWORK)))
    }
    ws.onmessage = (ev: { data: unknown }) => {
      this.#queue = this.#queue
        .then(() => this.#receive(ws, ev.data))
        .catch((err) => this.#drop(ws, toWeftError(err, ErrorCodes.PROTOCOL)))
    }
    ws.onclose = (ev: { code?: number; reason?: string }) => {
      if (this.#ws !== ws) return
      this.#ws = null
      this.#fail(droppedError(ev, c, url, opened, this.#lastError), reconnectsAtOnce(ev))
    }
    ws.onerror = () => {}
  }

  /** The cursor to subscribe from: where the last page ended, or the start point on the first socket. */
  async #cursor(): Promise<Cursor | null> {
    const since = this.#since
    if (!since) return null
    try {
      return await since
    } catch {
      // The start point could not be read (the server was unreachable): read it again on the next socket.
      const head = this.#o.connection.db(this.#o.db, 'head', {})
      this.#since = head.then((h) => ({ epoch: h.epoch, seq: h.seq }))
      this.#since.catch(() => undefined)
      throw new WeftError(ErrorCodes.NETWORK, 'could not read where the live feed starts')
    }
  }

  async #receive(ws: WebSocketLike, data: unknown): Promise<void> {
    if (this.#ws !== ws) return
    const bytes = socketBytes(data)
    const m = parseServerSocketMessage(decodeAnswer<unknown>(bytes), this.#o.connection.limits)
    if (m.type === 'error') return this.#drop(ws, new WeftError(m.code as WeftError['code'], m.message))
    if (m.type !== 'entries' || m.db !== this.#o.db) return
    if (m.entries.length) await this.#o.receive(m.entries)
    if (this.#ws !== ws) return
    this.#since = Promise.resolve(m.cursor) // only after the entries were handed on
    if (m.done) {
      this.#attempt = 0 // only a link that caught up resets the backoff
      this.#hurried = false
      this.#lastError = undefined
      this.#set({ state: 'live' })
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
      this.#set({ state: 'error', error })
      return
    }
    const hurry = atOnce && !this.#hurried
    this.#hurried ||= hurry
    const retryInMs = hurry ? 0 : backoffDelay(++this.#attempt, Math.random, this.#o.backoff)
    this.#set({ state: 'offline', retryInMs, error })
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.#connect(), retryInMs)
  }

  #drop(ws: WebSocketLike, error: WeftError): void {
    this.#lastError = error
    ws.close()
  }

  #set(state: LiveFeedState): void {
    if (this.#state.state === state.state && state.state !== 'offline') return
    this.#state = state
    for (const l of [...this.#listeners]) l(state)
  }
}
