import { ErrorCodes, WeftError } from '@weft/core/backend'
import { SOCKET_CLOSE } from '@weft/protocol'

/** An event handler slot; the event types differ between the browser and `ws`, so the parameter is open. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler<E> = ((ev: E & any) => void) | null

/** The part of the WebSocket API live sync uses: the browser's, or the `ws` package's in Node. */
export interface WebSocketLike {
  binaryType: string
  readonly readyState: number
  onopen: Handler<unknown>
  onmessage: Handler<{ data: unknown }>
  onclose: Handler<unknown>
  onerror: Handler<unknown>
  send(data: Uint8Array): void
  close(): void
}
export type WebSocketConstructor = new (url: string) => WebSocketLike

/** `readyState` of an open socket. */
export const SOCKET_OPEN = 1

/** The given WebSocket, else the global one (browsers, Node 22+), else undefined. */
export function webSocketOf(given: WebSocketConstructor | undefined): WebSocketConstructor | undefined {
  return given ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
}

/** The live socket address of a tenant on a server, signed in with `token`. */
export function socketUrl(connection: { url: string; tenantPath: string }, token: string): string {
  return `${connection.url.replace(/^http/, 'ws')}${connection.tenantPath}/ws?token=${encodeURIComponent(token)}`
}

/** The bytes of a socket message, from the browser's `ArrayBuffer` or `ws`'s `Buffer`. */
export function socketBytes(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (data instanceof Uint8Array) return data
  throw new WeftError(ErrorCodes.PROTOCOL, 'socket messages are binary')
}

/**
 * What a server's close code means: the session ended (sign in again, then reconnect), the key's
 * membership ended (`WEFT_FORBIDDEN`: stop), the client read too slowly (reconnect), or the
 * server process is going away (reconnect at once, see {@link reconnectsAtOnce}). A drop that is
 * not one of these (a process killed, a connection refused) moves a connection with several
 * addresses to the next one, as does going away: `url` is the address the socket was opened to.
 */
export function closeError(
  ev: { code?: number; reason?: string },
  connection: { invalidate(): void; failover?(from: string): boolean },
  url?: string,
): WeftError | undefined {
  const reason = ev.reason ? `: ${ev.reason}` : ''
  switch (ev.code) {
    case SOCKET_CLOSE.SIGN_IN_AGAIN:
      connection.invalidate()
      return new WeftError(ErrorCodes.NETWORK, `the server ended the session; signing in again${reason}`)
    case SOCKET_CLOSE.FORBIDDEN:
      return new WeftError(ErrorCodes.FORBIDDEN, `the server refused this key${reason}`)
    case SOCKET_CLOSE.TOO_SLOW:
      return new WeftError(ErrorCodes.NETWORK, `the server dropped the link: this client read too slowly${reason}`)
    case SOCKET_CLOSE.TRY_LATER:
      return new WeftError(ErrorCodes.NETWORK, `the server holds this tenant for a while; reconnecting${reason}`)
    case SOCKET_CLOSE.GOING_AWAY:
      if (url !== undefined) connection.failover?.(url)
      return new WeftError(ErrorCodes.NETWORK, `the server process is shutting down; reconnecting${reason}`)
    default:
      if (url !== undefined) connection.failover?.(url)
      return undefined
  }
}

/**
 * Why a sync's socket closed, to report and reconnect on: the server's reason (see
 * {@link closeError}), else the last failure seen on the socket, else a plain network error. A
 * socket that never opened was refused at the door, maybe for a stale token: the token is dropped.
 */
export function droppedError(
  ev: { code?: number; reason?: string },
  connection: { invalidate(): void; failover?(from: string): boolean },
  url: string,
  opened: boolean,
  lastError: WeftError | undefined,
): WeftError {
  if (!opened) connection.invalidate()
  return (
    closeError(ev, connection, url) ?? lastError ?? new WeftError(ErrorCodes.NETWORK, 'connection to the server closed')
  )
}

/** Whether a socket closed this way reconnects at once, without backoff: its server process went away. */
export function reconnectsAtOnce(ev: { code?: number }): boolean {
  return ev.code === SOCKET_CLOSE.GOING_AWAY
}
