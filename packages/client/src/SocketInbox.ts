import { ErrorCodes, toWeftError, type WeftError } from '@weft/core/backend'
import type { ServerSocketMessage } from '@weft/protocol'
import { takeMerged, type Received } from './mergePages.ts'
import type { WebSocketLike } from './webSocket.ts'

/**
 * The server's socket messages to a live sync, handled one at a time in the order they came, each
 * merged with the pages of entries queued behind it (see {@link takeMerged}). A message whose
 * handling fails drops its socket.
 */
export class SocketInbox {
  /** Socket messages received and not yet handled, in order; `#queue` handles them one at a time. */
  readonly #inbox: Received[] = []
  #queue: Promise<void> = Promise.resolve()
  readonly #max: { readonly entries: number; readonly bytes: number }
  readonly #handle: (ws: WebSocketLike, m: ServerSocketMessage) => Promise<void>
  readonly #drop: (ws: WebSocketLike, error: WeftError) => void

  /**
   * `handle` takes each message (merged up to `max` entries and entry bytes); `drop` closes the
   * socket of a message `handle` failed on, with the error.
   */
  constructor(
    max: { readonly entries: number; readonly bytes: number },
    handle: (ws: WebSocketLike, m: ServerSocketMessage) => Promise<void>,
    drop: (ws: WebSocketLike, error: WeftError) => void,
  ) {
    this.#max = max
    this.#handle = handle
    this.#drop = drop
  }

  /** Queues `m`, which came on `ws`, behind the messages before it. */
  push(ws: WebSocketLike, m: ServerSocketMessage): void {
    this.#inbox.push({ ws, m })
    this.#queue = this.#queue.then(() => this.#next())
  }

  /** Settles when every message queued so far is handled. */
  idle(): Promise<void> {
    return this.#queue
  }

  /** Handles the next message waiting, merged with the pages queued behind it. */
  async #next(): Promise<void> {
    const next = takeMerged(this.#inbox, this.#max)
    if (!next) return // merged into an earlier one
    const ws = next.ws as WebSocketLike
    try {
      await this.#handle(ws, next.m)
    } catch (err) {
      this.#drop(ws, toWeftError(err, ErrorCodes.PROTOCOL))
    }
  }
}
