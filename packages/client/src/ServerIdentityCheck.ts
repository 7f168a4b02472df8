import { ErrorCodes, WeftError } from '@weft/core/backend'
import type { ServerIdentity } from '@weft/protocol'
import { errorFrom } from './errorFrom.ts'
import type { ServerConnection } from './ServerConnection.ts'

/** What a {@link ServerIdentityCheck} works with: the connection's address in use, its `fetch` and timeout, and the identity it was given. */
export interface ServerIdentityCheckParts {
  readonly connection: Pick<ServerConnection, 'url'>
  readonly fetch: typeof fetch
  readonly timeoutMs: number
  /** The server's identity the connection was given (its `serverId` option), if any. */
  readonly pinnedId: string | undefined
}

/**
 * Who a connection's server is: the identity it gives (`GET /v1/identity`, asked once) or names
 * in a sign-in challenge, refused (`WEFT_UNAUTHORIZED`) when it is not the one the connection was
 * given.
 */
export class ServerIdentityCheck {
  readonly #p: ServerIdentityCheckParts
  #serverId: Promise<string> | undefined

  constructor(parts: ServerIdentityCheckParts) {
    this.#p = parts
  }

  /** {@link ServerConnection.serverId}: the server's identity, asked once (again after a failure). */
  serverId(signal?: AbortSignal): Promise<string> {
    const p = (this.#serverId ??= this.#fetchIdentity(signal))
    p.catch(() => {
      if (this.#serverId === p) this.#serverId = undefined
    })
    return p
  }

  async #fetchIdentity(signal?: AbortSignal): Promise<string> {
    const { connection } = this.#p
    let res: Response
    try {
      const timeout = AbortSignal.timeout(this.#p.timeoutMs)
      res = await this.#p.fetch(`${connection.url}/v1/identity`, {
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      })
    } catch (err) {
      throw new WeftError(signal?.aborted ? ErrorCodes.ABORTED : ErrorCodes.NETWORK, `cannot reach ${connection.url}`, {
        cause: err,
      })
    }
    const text = await res.text().catch(() => '')
    if (!res.ok) throw errorFrom(res.status, new TextEncoder().encode(text))
    let id: unknown
    try {
      id = (JSON.parse(text) as Partial<ServerIdentity>).serverId
    } catch {
      // not JSON: refused below
    }
    if (typeof id !== 'string' || id.length === 0 || id.length > 512)
      throw new WeftError(ErrorCodes.PROTOCOL, `${connection.url} did not say who it is`)
    return this.check(id)
  }

  /** `serverId` as the server named it, when it is a server's identity and the one the connection was given. */
  check(serverId: unknown): string {
    const { connection, pinnedId } = this.#p
    if (typeof serverId !== 'string' || serverId.length === 0)
      throw new WeftError(ErrorCodes.PROTOCOL, `${connection.url} did not say who it is`)
    if (pinnedId !== undefined && serverId !== pinnedId) {
      throw new WeftError(ErrorCodes.UNAUTHORIZED, `${connection.url} says it is server ${serverId}, not ${pinnedId}`)
    }
    return serverId
  }
}
