import { SOCKET_CLOSE } from '@weft/protocol'
import type { WebSocket } from 'ws'
import type { Hold, MemoryBudget } from './MemoryBudget.ts'

/** How much one socket may hold, and for how long it may hold it. */
export interface OutflowLimits {
  /** Producing pauses while more than this is buffered on the socket. */
  readonly highWaterBytes: number
  /** Past this many buffered bytes the socket is dropped. */
  readonly maxBufferedBytes: number
  /** A socket whose producer has waited this long for the client to read is dropped. */
  readonly slowMs: number
}

const POLL_MS = 10

/**
 * What a server sends on one socket, with back-pressure: one producer per socket waits here
 * before each page until the client has read what is buffered and the tenant's memory budget has
 * room; every page sent is held in that budget until it is written out. A client that does not
 * read for `slowMs`, or lets more than `maxBufferedBytes` pile up, is dropped with
 * `SOCKET_CLOSE.TOO_SLOW`.
 */
export class SocketOutflow {
  readonly #ws: WebSocket
  readonly #tenant: string
  readonly #budget: MemoryBudget
  readonly #limits: OutflowLimits
  readonly #holds = new Set<Hold>()
  #ended = false

  constructor(ws: WebSocket, tenant: string, budget: MemoryBudget, limits: OutflowLimits) {
    this.#ws = ws
    this.#tenant = tenant
    this.#budget = budget
    this.#limits = limits
  }

  /** False once the socket is closing or closed: produce nothing more. */
  get open(): boolean {
    return !this.#ended && this.#ws.readyState === this.#ws.OPEN
  }

  /**
   * Waits until the socket's buffer is below the high-water mark and `bytes` fit in the tenant's
   * budget, and holds them there. Undefined when the socket closed meanwhile or was dropped for
   * reading too slowly.
   */
  async reserve(bytes: number): Promise<Hold | undefined> {
    const since = Date.now()
    for (;;) {
      if (!this.open) return undefined
      if (this.#ws.bufferedAmount <= this.#limits.highWaterBytes) {
        const hold = this.#budget.hold(this.#tenant, bytes)
        if (hold) {
          this.#holds.add(hold)
          return hold
        }
      }
      if (Date.now() - since > this.#limits.slowMs) {
        this.end(SOCKET_CLOSE.TOO_SLOW, 'the client reads too slowly')
        return undefined
      }
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
  }

  /**
   * Sends `bytes` under `hold` (resized to them), released once written out. Drops the socket
   * when its buffer passes the byte limit.
   */
  send(bytes: Uint8Array, hold: Hold): void {
    if (!this.open) return this.release(hold)
    hold.resize(bytes.length) // refused past the budget: it stays counted at what was reserved
    this.#ws.send(bytes, () => this.release(hold))
    if (this.#ws.bufferedAmount > this.#limits.maxBufferedBytes)
      this.end(SOCKET_CLOSE.TOO_SLOW, 'too much buffered for the client')
  }

  /** Sends a small control message (an error), outside the budget. */
  sendSmall(bytes: Uint8Array): void {
    if (this.open) this.#ws.send(bytes)
  }

  /**
   * Closes the socket with `code`; a client that does not answer the close within a second is
   * cut off. Gives back everything held.
   */
  end(code: number, reason: string): void {
    if (this.#ended) return
    this.#ended = true
    try {
      this.#ws.close(code, reason.slice(0, 120))
    } catch {
      this.#ws.terminate()
    }
    const ws = this.#ws
    setTimeout(() => ws.readyState !== ws.CLOSED && ws.terminate(), 1_000).unref()
    this.releaseAll()
  }

  /** Gives back everything held (the socket closed). */
  releaseAll(): void {
    this.#ended = true
    for (const h of this.#holds) h.release()
    this.#holds.clear()
  }

  /** Gives back a hold that was not sent. */
  release(hold: Hold): void {
    hold.release()
    this.#holds.delete(hold)
  }
}
