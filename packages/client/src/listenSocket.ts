import { ErrorCodes, toWeftError, type WeftError } from '@weft/core/backend'
import { decodeAnswer, parseServerSocketMessage, type ProtocolLimits, type ServerSocketMessage } from '@weft/protocol'
import type { WebSocketLike } from './webSocket.ts'

/** What a live sync's socket reports to it. */
export interface SocketListener {
  /** The socket opened. */
  open(): void
  /** A server message came, read within the connection's limits. */
  message(m: ServerSocketMessage): void
  /** A message came that is not a valid server message. */
  unreadable(error: WeftError): void
  /** The socket closed; `opened` tells whether it had opened (else the server refused it at the door). */
  close(ev: { code?: number; reason?: string }, opened: boolean): void
}

/**
 * Listens to `ws` (binary messages) on behalf of `on`, reading each message within the limits of
 * `connection` as they are when it comes.
 */
export function listenSocket(
  ws: WebSocketLike,
  connection: { readonly limits: ProtocolLimits },
  on: SocketListener,
): void {
  let opened = false
  ws.onopen = () => {
    opened = true
    on.open()
  }
  ws.onmessage = (ev: { data: unknown }) => {
    const data = ev.data instanceof ArrayBuffer ? new Uint8Array(ev.data) : (ev.data as Uint8Array)
    let m: ServerSocketMessage
    try {
      m = parseServerSocketMessage(decodeAnswer<unknown>(data), connection.limits)
    } catch (err) {
      return on.unreadable(toWeftError(err, ErrorCodes.PROTOCOL))
    }
    on.message(m)
  }
  ws.onclose = (ev: { code?: number; reason?: string }) => on.close(ev, opened)
  ws.onerror = () => {}
}
