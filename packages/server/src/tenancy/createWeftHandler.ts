import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { ErrorCodes, WeftError } from '@weft/core/backend'
import type { WeftServerOptions } from '../ServerOptions.ts'
import { WeftServer } from '../WeftServer.ts'

/** Options of {@link createWeftHandler}: a server's options, a mount prefix and the app's tenant hook. */
export interface WeftHandlerOptions extends Omit<WeftServerOptions, 'port' | 'host'> {
  /**
   * The path the relay is mounted under, e.g. `/sync` (clients then use `https://app.example/sync`
   * as the server URL). Requests whose path starts with it have it removed; requests an app's
   * router passes on with the prefix already removed (Express `app.use('/sync', …)`) are served
   * as they are. Default: none.
   */
  readonly prefix?: string
}

/** The relay as a request handler and an upgrade handler, for an app's own HTTP server. */
export interface WeftHandler {
  /** Serves a request: a Node `(req, res)` handler (also an Express middleware, ignoring `next`). */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void
  /** Serves a WebSocket upgrade: `httpServer.on('upgrade', weft.upgrade)`. Upgrades outside the prefix are left to the app. */
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
  /** Whether an upgrade request is for the relay (its path is under the prefix). */
  readonly owns: (req: IncomingMessage) => boolean
  /** The relay itself (its tenancy, identity, live connections). */
  readonly server: WeftServer
  /** Drops the relay's sockets and closes its storage (not the app's HTTP server). */
  readonly close: () => Promise<void>
}

/**
 * Makes the Weft relay mountable inside an existing Node HTTP app (plain `http`, Express, Fastify):
 * a request handler and a WebSocket upgrade handler over a {@link WeftServer} that does not listen
 * itself. With `resolveTenant(req)`, the app's own authentication names the tenant of each
 * request; every other way the request names one must agree with it.
 *
 * Mount it before any body parser: the relay reads its own (MessagePack) bodies, within its limits.
 *
 * ```ts fragment
 * const weft = await createWeftHandler({ prefix: '/sync', resolveTenant: (req) => tenantOfUser(req) })
 * const server = http.createServer((req, res) => (req.url?.startsWith('/sync') ? weft.handle(req, res) : app(req, res)))
 * server.on('upgrade', weft.upgrade)
 * ```
 */
export async function createWeftHandler(options: WeftHandlerOptions = {}): Promise<WeftHandler> {
  const prefix = normalisePrefix(options.prefix)
  const server = await WeftServer.open(options)
  const strip = (req: IncomingMessage) => {
    const url = req.url ?? '/'
    if (prefix && (url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`)))
      req.url = url.slice(prefix.length) || '/'
  }
  const owns = (req: IncomingMessage) => {
    const url = req.url ?? '/'
    return !prefix || url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`)
  }
  return {
    server,
    owns,
    handle: (req, res) => {
      strip(req)
      void server.handleRequest(req, res)
    },
    upgrade: (req, socket, head) => {
      if (!owns(req)) return // another handler of the app's serves it
      strip(req)
      void server.handleUpgrade(req, socket, head)
    },
    close: () => server.close(),
  }
}

function normalisePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '' || prefix === '/') return ''
  if (!prefix.startsWith('/') || prefix.includes('?') || prefix.includes('#'))
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'prefix is a path such as /sync')
  return prefix.replace(/\/+$/, '')
}
