import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { ErrorCodes, toWeftError, WeftError } from '@weft/core/backend'
import { httpStatusOf, SOCKET_CLOSE, type ProtocolLimits } from '@weft/protocol'
import type { Authenticator } from './Authenticator.ts'
import { addressOf, bearer, retryAfterOf } from './http.ts'
import { LiveConnection } from './LiveConnection.ts'
import type { LiveSockets } from './LiveSockets.ts'
import type { MemoryBudget } from './MemoryBudget.ts'
import { parseRoute } from './parseRoute.ts'
import type { PresenceRelay } from './presence/PresenceRelay.ts'
import type { RequestSignIn } from './RequestSignIn.ts'
import type { TenantQuota, WeftServerOptions } from './ServerOptions.ts'
import type { TenantState } from './TenantState.ts'
import type { Tenancy } from './tenancy/Tenancy.ts'

/** What accepting a live socket needs from the server. */
export interface UpgradeContext {
  readonly signIn: RequestSignIn
  readonly auth: Authenticator
  readonly tenants: TenantState
  /** The server's tenancy (opened before any request). */
  readonly tenancy: () => Tenancy
  /** The tenant's limits (`WEFT_SERVER_ERROR` when the operator's `forTenant` fails). */
  readonly quotaFor: (tenant: string) => TenantQuota
  readonly live: LiveSockets
  /** Whether a graceful close is under way: a socket that opens now is told to go elsewhere. */
  readonly draining: () => boolean
  readonly budget: MemoryBudget
  readonly limits: ProtocolLimits
  readonly options: Pick<WeftServerOptions, 'slowSocketMs'>
  readonly presence: PresenceRelay
  readonly log: (message: string, error?: unknown) => void
}

/** A socket's producer pauses while more than this is buffered for the client. */
const SOCKET_HIGH_WATER = 1024 * 1024

/**
 * Serves a WebSocket upgrade: signs the socket in (token in the `token` query parameter or the
 * bearer header) for a tenant with live push on, then keeps it as a {@link LiveConnection} that
 * checks its session, the tenant's status and flags again over its life. A refused upgrade is
 * answered with the refusal's HTTP status and `{ code, message }`, and closed.
 */
export async function serveUpgrade(
  ctx: UpgradeContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const route = parseRoute(url.pathname)
    if (route?.kind !== 'ws') throw new WeftError(ErrorCodes.PROTOCOL, 'no such socket')
    const token = url.searchParams.get('token') ?? bearer(req)
    const named = await ctx.signIn.named(route.pathTenant, req)
    const session = await ctx.signIn.signedIn(token ?? undefined, named, addressOf(req), {})
    const tenancy = ctx.tenancy()
    tenancy.requireFlag(session.tenant, 'livePush')
    const { limits, tenants } = ctx
    ctx.live.accept(req, socket, head, (ws) => {
      if (ctx.draining()) {
        ws.close(SOCKET_CLOSE.GOING_AWAY, 'this server process is shutting down')
        return undefined
      }
      return new LiveConnection(ws, {
        tenant: session.tenant,
        key: session.key,
        open: async (t, db) => tenants.usage.open(await tenants.generations.storageName(t), db, ctx.quotaFor(t)),
        // The tenant's status and flags too: suspending it, or switching live push off, closes its
        // sockets. The session's check brings what this process caches of the tenant up to date
        // (with other processes, a read of the tenant's version), so the status is read from that
        // without a second read: every page checks both.
        authorize: async () => {
          const endsAt = await ctx.auth.check(session)
          await tenancy.admit(session.tenant, { adopt: false, fresh: false })
          tenancy.requireFlag(session.tenant, 'livePush')
          return endsAt
        },
        budget: ctx.budget,
        pageBytes: limits.maxResponseBytes,
        maxEntryBytes: limits.maxEntryBytes,
        outflow: {
          highWaterBytes: SOCKET_HIGH_WATER,
          maxBufferedBytes: SOCKET_HIGH_WATER + 2 * limits.maxResponseBytes,
          slowMs: ctx.options.slowSocketMs ?? 30_000,
        },
        log: ctx.log,
        presence: ctx.presence,
      })
    })
  } catch (err) {
    const w = toWeftError(err, ErrorCodes.SERVER_ERROR)
    const status = httpStatusOf(w.code)
    const text = JSON.stringify({ code: w.code, message: w.message })
    const retry = status === 429 || status === 503 ? `retry-after: ${retryAfterOf(err)}\r\n` : ''
    socket.end(
      `HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n${retry}connection: close\r\n\r\n${text}`,
    )
  }
}
