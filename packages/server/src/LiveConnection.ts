import { ErrorCodes, isWeftError, positionCheck, toWeftError, type ChangeStore, type Cursor } from '@weft/core/backend'
import {
  DEFAULT_LIMITS,
  decodeMessage,
  encodeBody,
  MAX_SOCKET_MESSAGE_BYTES,
  parseClientSocketMessage,
  SOCKET_CLOSE,
  type ServerSocketMessage,
} from '@weft/protocol'
import type { WebSocket } from 'ws'
import type { MemoryBudget } from './MemoryBudget.ts'
import type { PresenceMember, PresenceRelay } from './presence/PresenceRelay.ts'
import { encodePage, readPageShared, scanShared, storedSince } from './sharedReads.ts'
import { SocketOutflow, type OutflowLimits } from './SocketOutflow.ts'

interface Subscription {
  readonly db: string
  readonly store: ChangeStore
  cursor: Cursor | null
  unsubscribe: () => void
  first: boolean
  /** The last message sent said `done: false`: the client waits for a `done: true`. */
  owesDone: boolean
}

/** What a {@link LiveConnection} needs besides its socket. */
export interface LiveConnectionOptions {
  readonly tenant: string
  /** The signed-in member's key (base64url). */
  readonly key: string
  readonly open: (tenant: string, db: string) => Promise<ChangeStore>
  /**
   * Checks that the session and the key's membership still hold now: throws `WEFT_UNAUTHORIZED`
   * (the session ended) or `WEFT_FORBIDDEN` (revoked, or the membership ran out). Otherwise
   * returns when they end unless renewed (ms since the epoch; Infinity for never).
   */
  readonly authorize: () => Promise<number>
  readonly budget: MemoryBudget
  /** Most entry bytes in one page (a larger single entry goes alone), and the largest entry. */
  readonly pageBytes: number
  readonly maxEntryBytes: number
  readonly outflow: OutflowLimits
  readonly log: (message: string, error?: unknown) => void
  /** Passes the socket's presence messages on (absent: presence messages are refused as unknown). */
  readonly presence?: PresenceRelay
}

/** Most entries in one page. */
const PAGE = 500
const MAX_SUBSCRIPTIONS = 64
/** Longest a timer may wait in Node (about 24.8 days); a later end is checked again then. */
const MAX_TIMER = 2 ** 31 - 1

/**
 * One signed-in WebSocket client. For each database it subscribes to, it sends every entry after
 * the client's cursor, then each new entry as soon as it is durable, in arrival order with the
 * cursor to resume from. One producer serves all the socket's subscriptions in turn, a page
 * (capped in entries and bytes) at a time, and waits while the client has not read what was sent
 * (see {@link SocketOutflow}). The session and membership are checked again before every
 * subscription and every page, and when they are due to end: then the socket closes with
 * `SOCKET_CLOSE.SIGN_IN_AGAIN` or `SOCKET_CLOSE.FORBIDDEN`.
 */
export class LiveConnection {
  readonly tenant: string
  readonly key: string
  readonly #options: LiveConnectionOptions
  readonly #out: SocketOutflow
  readonly #subs = new Map<string, Subscription>()
  /** Subscriptions with entries to send, in turn. */
  readonly #ready = new Set<Subscription>()
  /** Subscribes waiting for their store: they count against the limit too. */
  #opening = 0
  #producing = false
  #closed = false
  #timer: ReturnType<typeof setTimeout> | undefined
  readonly #presence: PresenceMember | undefined

  constructor(ws: WebSocket, options: LiveConnectionOptions) {
    this.#options = options
    this.tenant = options.tenant
    this.key = options.key
    this.#out = new SocketOutflow(ws, options.tenant, options.budget, options.outflow)
    this.#presence = options.presence?.join(ws, options.tenant)
    ws.on('message', (data, isBinary) => void this.#onMessage(data as Buffer, isBinary))
    ws.on('close', () => this.close())
    ws.on('error', () => this.close())
    void this.recheck()
  }

  /** Number of subscriptions (each holds one store listener). */
  get subscriptions(): number {
    return this.#subs.size
  }

  /**
   * Checks the session and membership now: closes the socket when they ended, else sets a timer
   * for when they are due to end. The server calls it when the tenant's registrations change.
   */
  async recheck(): Promise<void> {
    if (this.#closed) return
    clearTimeout(this.#timer)
    let endsAt: number
    try {
      endsAt = await this.#options.authorize()
    } catch (err) {
      return this.#deny(err)
    }
    if (this.#closed || !Number.isFinite(endsAt)) return
    this.#timer = setTimeout(() => void this.recheck(), Math.min(MAX_TIMER, Math.max(0, endsAt - Date.now()) + 5))
    this.#timer.unref?.()
  }

  /**
   * Entries were stored in `db` elsewhere (by another process over the same storage) up to
   * arrival `upTo.seq` of `upTo.epoch`: sends them, unless the subscription is there already.
   */
  poke(db: string, upTo: { readonly epoch: string; readonly seq: number }): void {
    const sub = this.#subs.get(db)
    if (!sub) return
    if (sub.cursor && sub.cursor.epoch === upTo.epoch && sub.cursor.seq >= upTo.seq) return
    storedSince(sub.store, upTo)
    this.#wake(sub)
  }

  /**
   * Every subscription reads the storage again after its cursor (stored entries may have gone
   * unannounced). `cause` is the notice, the same object for every connection it reaches.
   */
  pokeAll(cause: object = {}): void {
    for (const sub of this.#subs.values()) {
      storedSince(sub.store, cause)
      this.#wake(sub)
    }
  }

  /** Closes the socket with `SOCKET_CLOSE.GOING_AWAY`: the server is shutting down, the client reconnects elsewhere. */
  goAway(): void {
    this.#out.end(SOCKET_CLOSE.GOING_AWAY, 'this server process is shutting down: reconnect to another')
    this.close()
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#timer)
    this.#presence?.leave()
    for (const s of this.#subs.values()) s.unsubscribe()
    this.#subs.clear()
    this.#ready.clear()
    this.#out.releaseAll()
  }

  async #onMessage(data: Buffer, isBinary: boolean): Promise<void> {
    try {
      if (!isBinary) throw toWeftError(new Error('messages are binary MessagePack'), ErrorCodes.PROTOCOL)
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      const raw = decodeMessage(bytes, 'socket', DEFAULT_LIMITS, MAX_SOCKET_MESSAGE_BYTES)
      if (this.#presence?.take(raw)) return
      const m = parseClientSocketMessage(raw)
      if (m.type !== 'subscribe' && m.type !== 'unsubscribe')
        throw toWeftError(new Error('presence is off'), ErrorCodes.PROTOCOL)
      if (m.type === 'subscribe') await this.#subscribe(m.db, m.since)
      else this.#drop(m.db)
    } catch (err) {
      const w = toWeftError(err, ErrorCodes.PROTOCOL)
      this.#out.sendSmall(encodeBody({ type: 'error', code: w.code, message: w.message } satisfies ServerSocketMessage))
    }
  }

  async #subscribe(db: string, since: Cursor | null): Promise<void> {
    // Counted before the wait for the store, so a burst cannot pass the limit.
    if (!this.#subs.has(db) && this.#subs.size + this.#opening >= MAX_SUBSCRIPTIONS) {
      throw toWeftError(new Error(`more than ${MAX_SUBSCRIPTIONS} subscriptions on one socket`), ErrorCodes.PROTOCOL)
    }
    this.#opening++
    let store: ChangeStore
    try {
      if (!(await this.#authorized())) return
      store = await this.#options.open(this.tenant, db)
    } finally {
      this.#opening--
    }
    if (this.#closed) return
    this.#drop(db) // a subscription of the same database, maybe one made while this one waited
    const sub: Subscription = { db, store, cursor: since, unsubscribe: () => {}, first: true, owesDone: false }
    sub.unsubscribe = store.subscribe((added) => {
      storedSince(store, added) // a read begun before this append may lack it: this wake reads anew
      this.#wake(sub)
    })
    this.#subs.set(db, sub)
    this.#wake(sub)
  }

  #drop(db: string): void {
    const s = this.#subs.get(db)
    if (!s) return
    s.unsubscribe()
    this.#subs.delete(db)
    this.#ready.delete(s)
  }

  #wake(sub: Subscription): void {
    if (this.#closed || this.#subs.get(sub.db) !== sub) return
    this.#ready.add(sub)
    void this.#produce()
  }

  /** The socket's one producer: a page of each ready subscription in turn, until none has more. */
  async #produce(): Promise<void> {
    if (this.#producing) return
    this.#producing = true
    try {
      for (;;) {
        const sub = this.#ready.values().next().value
        if (!sub || this.#closed) return
        this.#ready.delete(sub)
        if (this.#subs.get(sub.db) !== sub) continue
        try {
          if (!(await this.#page(sub))) this.#ready.add(sub) // more to send: after the others' turn
        } catch (err) {
          this.#options.log(`live push failed for ${this.tenant}/${sub.db}`, err)
          const w = toWeftError(err, ErrorCodes.STORAGE_ERROR)
          this.#out.sendSmall(
            encodeBody({ type: 'error', code: w.code, message: w.message } satisfies ServerSocketMessage),
          )
        }
      }
    } finally {
      this.#producing = false
    }
  }

  /** Sends one page of `sub`; true when it is caught up (or the socket is gone). */
  async #page(sub: Subscription): Promise<boolean> {
    const page = await scanShared(sub.store, sub.cursor, PAGE)
    if (!(page.entries.length || page.reset || sub.first || (page.done && sub.owesDone))) {
      sub.cursor = page.cursor
      return page.done
    }
    // Held in the tenant's budget from before the entries are read until the page is written out:
    // a page's worth, or less for a few entries (none larger than maxEntryBytes).
    const { pageBytes, maxEntryBytes } = this.#options
    const hold = await this.#out.reserve(Math.min(pageBytes, Math.max(1024, page.entries.length * maxEntryBytes)))
    if (!hold) return true
    let sent = false
    try {
      if (this.#subs.get(sub.db) !== sub) return true
      const read = await readPageShared(
        sub.store,
        page.entries.map((e) => e.hash),
        {
          maxBytes: this.#options.pageBytes,
          maxEntryBytes: this.#options.maxEntryBytes,
        },
      )
      const cut = read.taken < page.entries.length
      const lastSent = page.entries[read.taken - 1]!
      const cursor = cut
        ? { epoch: page.cursor.epoch, seq: lastSent.seq, at: positionCheck(lastSent.hash) }
        : page.cursor
      const done = page.done && !cut
      if (read.entries.length || page.reset || sub.first || (done && sub.owesDone)) {
        if (!(await this.#authorized()) || this.#subs.get(sub.db) !== sub) return true
        sub.first = false
        sub.owesDone = !done
        this.#out.send(encodePage(read, { db: sub.db, cursor, reset: page.reset, done }), hold)
        sent = true
      }
      sub.cursor = cursor
      return done
    } finally {
      if (!sent) this.#out.release(hold) // nothing sent, or the subscription was replaced meanwhile
    }
  }

  /** Whether the session and membership hold now; if not, the socket closes with the matching code. */
  async #authorized(): Promise<boolean> {
    if (this.#closed) return false
    try {
      await this.#options.authorize()
      return !this.#closed
    } catch (err) {
      this.#deny(err)
      return false
    }
  }

  #deny(err: unknown): void {
    // A suspended tenant, or live push switched off, closes like a revoked key: signing in again does not help.
    const forbidden =
      isWeftError(err) &&
      (err.code === ErrorCodes.FORBIDDEN ||
        err.code === ErrorCodes.TENANT_SUSPENDED ||
        err.code === ErrorCodes.FEATURE_DISABLED)
    const message = isWeftError(err)
      ? err.code === ErrorCodes.FORBIDDEN
        ? err.message
        : `${err.code}: ${err.message}`
      : 'the session could not be checked'
    // A tenant held for a move is back soon: the client reconnects after a backoff.
    const later = isWeftError(err) && err.code === ErrorCodes.TENANT_MOVING
    this.#out.end(
      later ? SOCKET_CLOSE.TRY_LATER : forbidden ? SOCKET_CLOSE.FORBIDDEN : SOCKET_CLOSE.SIGN_IN_AGAIN,
      message,
    )
    this.close()
  }
}
