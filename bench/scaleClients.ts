/**
 * Lightweight clients for the scale bench: each signs in properly (a challenge signed with an
 * admitted device key, through `ServerConnection`) and then holds one raw WebSocket subscribed to
 * one database, noting when entries arrive. No store and no verification on the client side, so a
 * thousand of them fit in the bench process beside the relays.
 */
import type { SigningKeyPair } from '@weft/core'
import { ServerConnection } from '@weft/client'
import { decodeAnswer, DEFAULT_LIMITS, encodeBody, parseServerSocketMessage } from '@weft/protocol'
import { WebSocket } from 'ws'

/** A signed-in socket subscribed to one database. */
export class Subscriber {
  readonly #ws: WebSocket
  /** Entries received after each subscription's first (catch-up) page. */
  received = 0
  /** Called with the arrival time of every later page that holds entries. */
  onEntries: ((at: number, count: number) => void) | undefined

  private constructor(ws: WebSocket) {
    this.#ws = ws
  }

  /** Signs in on `url` as `key`, opens the socket and subscribes to `dbs`; resolves after the first page of each. */
  static async open(
    url: string,
    tenant: string,
    key: SigningKeyPair,
    dbs: string | readonly string[],
  ): Promise<Subscriber> {
    const token = await new ServerConnection({ url, tenant, key }).token()
    return Subscriber.connect(url, tenant, token, dbs)
  }

  /** Opens a socket with a session `token` already held (one sign-in for many sockets) and subscribes to `dbs`. */
  static async connect(
    url: string,
    tenant: string,
    token: string,
    dbs: string | readonly string[],
  ): Promise<Subscriber> {
    const names = typeof dbs === 'string' ? [dbs] : dbs
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/t/${encodeURIComponent(tenant)}/ws?token=${token}`)
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    const s = new Subscriber(ws)
    const first = new Set(names)
    const caughtUp = new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        const at = performance.now()
        const m = parseServerSocketMessage(decodeAnswer<unknown>(new Uint8Array(data)), DEFAULT_LIMITS)
        if (m.type === 'error') return reject(new Error(`${m.code}: ${m.message}`))
        if (m.type !== 'entries') return
        if (first.delete(m.db)) {
          if (first.size === 0) resolve()
          return
        }
        if (m.entries.length === 0) return
        s.received += m.entries.length
        s.onEntries?.(at, m.entries.length)
      })
      ws.once('close', () => reject(new Error('socket closed before the first page')))
    })
    for (const db of names) ws.send(encodeBody({ type: 'subscribe', db, since: null }))
    await caughtUp
    return s
  }

  close(): void {
    this.#ws.close()
  }
}

/** Runs `fn` over `items` with at most `width` calls under way at once; results in order. */
export async function inParallel<T, R>(
  items: readonly T[],
  width: number,
  fn: (t: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane))
  return out
}

/** Resolves true once `done()` holds (checked now and on every `poke`), or false after `ms`. */
export function waitUntil(done: () => boolean, ms: number): { promise: Promise<boolean>; poke: () => void } {
  let poke = () => {}
  const promise = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    poke = () => {
      if (done()) {
        clearTimeout(timer)
        resolve(true)
      }
    }
    poke()
  })
  return { promise, poke: () => poke() }
}
