import { ErrorCodes, toWeftError, type ChangeStore, type Cursor } from '@weft/core'
import { decodeBody, encodeBody, type ClientSocketMessage, type ServerSocketMessage } from '@weft/protocol'
import type { WebSocket } from 'ws'

interface Subscription {
  readonly store: ChangeStore
  cursor: Cursor | null
  unsubscribe: () => void
  pumping: boolean
  again: boolean
  first: boolean
  /** The last message sent said `done: false`: the client waits for a `done: true`. */
  owesDone: boolean
}

const PAGE = 500
const HIGH_WATER = 4 * 1024 * 1024
const MAX_SUBSCRIPTIONS = 64

/**
 * One signed-in WebSocket client. For each database it subscribes to, it sends every entry after
 * the client's cursor, then each new entry as soon as it is durable, in arrival order with the
 * cursor to resume from. It waits while the socket's buffer is full.
 */
export class LiveConnection {
  readonly #ws: WebSocket
  readonly #tenant: string
  readonly #open: (tenant: string, db: string) => Promise<ChangeStore>
  readonly #subs = new Map<string, Subscription>()
  readonly #log: (message: string, error?: unknown) => void
  #closed = false

  constructor(
    ws: WebSocket,
    tenant: string,
    open: (tenant: string, db: string) => Promise<ChangeStore>,
    log: (message: string, error?: unknown) => void,
  ) {
    this.#ws = ws
    this.#tenant = tenant
    this.#open = open
    this.#log = log
    ws.on('message', (data, isBinary) => void this.#onMessage(data as Buffer, isBinary))
    ws.on('close', () => this.close())
    ws.on('error', () => this.close())
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const s of this.#subs.values()) s.unsubscribe()
    this.#subs.clear()
  }

  async #onMessage(data: Buffer, isBinary: boolean): Promise<void> {
    try {
      if (!isBinary) throw toWeftError(new Error('messages are binary MessagePack'), ErrorCodes.PROTOCOL)
      const m = decodeBody<ClientSocketMessage>(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 64 * 1024)
      if (m?.type === 'subscribe' && typeof m.db === 'string' && m.db.length <= 128 && !m.db.includes('/')) {
        await this.#subscribe(m.db, validCursor(m.since))
      } else if (m?.type === 'unsubscribe' && typeof m.db === 'string') {
        this.#subs.get(m.db)?.unsubscribe()
        this.#subs.delete(m.db)
      } else {
        throw toWeftError(new Error('unknown socket message'), ErrorCodes.PROTOCOL)
      }
    } catch (err) {
      const w = toWeftError(err, ErrorCodes.PROTOCOL)
      this.#send({ type: 'error', code: w.code, message: w.message })
    }
  }

  async #subscribe(db: string, since: Cursor | null): Promise<void> {
    this.#subs.get(db)?.unsubscribe()
    if (this.#subs.size >= MAX_SUBSCRIPTIONS) throw toWeftError(new Error('too many subscriptions on one socket'), ErrorCodes.PROTOCOL)
    const store = await this.#open(this.#tenant, db)
    if (this.#closed) return
    const sub: Subscription = { store, cursor: since, unsubscribe: () => {}, pumping: false, again: false, first: true, owesDone: false }
    sub.unsubscribe = store.subscribe(() => void this.#pump(sub))
    this.#subs.set(db, sub)
    await this.#pump(sub, db)
  }

  async #pump(sub: Subscription, db = this.#dbOf(sub)): Promise<void> {
    if (sub.pumping) {
      sub.again = true
      return
    }
    sub.pumping = true
    try {
      do {
        sub.again = false
        for (;;) {
          if (this.#closed || this.#subs.get(db) !== sub) return
          const page = await sub.store.scan(sub.cursor, { limit: PAGE })
          const entries = page.entries.length ? await sub.store.getChanges(page.entries.map((e) => e.hash)) : []
          if (entries.length || page.reset || sub.first || (page.done && sub.owesDone)) {
            sub.first = false
            sub.owesDone = !page.done
            this.#send({ type: 'entries', db, entries: entries.map((e) => ({ hash: e.hash, bytes: e.bytes })), cursor: page.cursor, reset: page.reset, done: page.done })
          }
          sub.cursor = page.cursor
          while (this.#ws.bufferedAmount > HIGH_WATER && !this.#closed) await new Promise((r) => setTimeout(r, 10))
          if (page.done) break
        }
      } while (sub.again)
    } catch (err) {
      this.#log(`live push failed for ${this.#tenant}/${db}`, err)
      const w = toWeftError(err, ErrorCodes.STORAGE_ERROR)
      this.#send({ type: 'error', code: w.code, message: w.message })
    } finally {
      sub.pumping = false
    }
  }

  #dbOf(sub: Subscription): string {
    for (const [db, s] of this.#subs) if (s === sub) return db
    return ''
  }

  #send(m: ServerSocketMessage): void {
    if (!this.#closed && this.#ws.readyState === this.#ws.OPEN) this.#ws.send(encodeBody(m))
  }
}

function validCursor(c: unknown): Cursor | null {
  const x = c as Cursor | null
  return x && typeof x.epoch === 'string' && Number.isSafeInteger(x.seq) && x.seq >= 0 ? { epoch: x.epoch, seq: x.seq } : null
}
