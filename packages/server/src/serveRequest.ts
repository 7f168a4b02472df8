import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCodes, toWeftError, WeftError, type KeyValueStore } from '@weft/core/backend'
import {
  decodeMessage,
  encodeBody,
  httpStatusOf,
  MAX_PRE_AUTH_BODY_BYTES,
  MSGPACK_TYPE,
  type MessageKind,
} from '@weft/protocol'
import type { ClusterStats } from './cluster/ClusterStats.ts'
import type { ConsoleRoute } from './console/answerConsole.ts'
import { handleOp, type OpContext } from './handleOp.ts'
import {
  addressOf,
  allowCors,
  bearer,
  discardThenClose,
  hasBody,
  rateLimited,
  readBody,
  retryAfterOf,
  route404,
} from './http.ts'
import type { InFlight } from './InFlight.ts'
import type { LiveSockets } from './LiveSockets.ts'
import type { Hold } from './MemoryBudget.ts'
import { answerMetrics } from './observability/answerMetrics.ts'
import type { RequestObserver } from './observability/RequestObserver.ts'
import { routeShape } from './observability/routeShape.ts'
import { parseRoute, type Route } from './parseRoute.ts'
import { answerProbe, answerReadiness } from './probes.ts'
import type { RequestRates } from './RequestRates.ts'
import type { RequestSignIn, Seen } from './RequestSignIn.ts'
import { resolveTenant } from './resolveTenant.ts'
import type { WeftServerOptions } from './ServerOptions.ts'
import { handleAdmin, type AdminContext } from './tenancy/handleAdmin.ts'

/** What serving an HTTP request needs from the server, besides what its operation needs. */
export interface RequestContext extends OpContext {
  readonly serverId: string
  readonly options: Pick<WeftServerOptions, 'allowedOrigins' | 'metrics' | 'authors'>
  /** The server's own records (the readiness probe reads from them). */
  readonly kv: KeyValueStore
  readonly signIn: RequestSignIn
  readonly rates: RequestRates
  readonly live: LiveSockets
  /** Requests being answered (a graceful close waits for them). */
  readonly inFlight: InFlight
  /** Request logs and metrics. */
  readonly observer: RequestObserver
  readonly console: ConsoleRoute
  /** The admin API's context (it gains the other processes' statistics once the server joined them). */
  readonly admin: () => AdminContext
  /** The request counts shared with the other processes, once the server joined them. */
  readonly stats: () => ClusterStats | undefined
  /** Whether a close has begun (the health check then answers 503). */
  readonly closing: () => boolean
  /** Whether a graceful close is under way: no new work, kept-alive connections end. */
  readonly draining: () => boolean
  readonly log: (message: string, error?: unknown) => void
}

/** The decode budget of a route's body. */
function messageKind(route: Exclude<Route, { kind: 'ws' }>): MessageKind {
  return route.kind === 'mail' ? `mail/${route.op}` : route.op
}

/**
 * Serves one HTTP request: CORS preflight, the probes, `/metrics`, the admin API and the console,
 * else a relay operation. An operation's caller is signed in before a byte of its body is read;
 * the body is read within its limit and held in the tenant's memory budget, with the response,
 * until the response is written. A refusal is answered `{ code, message }` with its HTTP status.
 */
export async function serveRequest(ctx: RequestContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.once('close', ctx.inFlight.begin())
  const { options, limits, observer } = ctx
  allowCors(req, res, options.allowedOrigins ?? '*')
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { 'access-control-max-age': '600' }).end()
    return
  }
  const state = { serverId: ctx.serverId, live: !ctx.closing(), liveConnections: ctx.live.size }
  if (answerProbe(req, res, state)) return
  const readiness = { draining: ctx.draining(), checkStorage: () => ctx.kv.get('server/identity') }
  if (await answerReadiness(req, res, readiness)) return
  if (options.metrics && (await answerMetrics(req, res, ctx.metrics!, options.metrics.token))) return
  if (await handleAdmin(ctx.admin(), req, res)) return
  if (await ctx.console.answer(req, res)) return
  let bodyRead = false
  const seen: Seen = {}
  try {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const route = parseRoute(url.pathname)
    observer.note(res, { route: routeShape(route, url.pathname) })
    if (!route || route.kind === 'ws')
      throw new WeftError(ErrorCodes.PROTOCOL, `no such operation: ${req.method} ${url.pathname}`)
    if (req.method !== 'POST') throw new WeftError(ErrorCodes.PROTOCOL, 'every operation is a POST')
    const address = addressOf(req)
    const named = await ctx.signIn.named(route.pathTenant, req)
    // Signed in before a byte of the body is read; before sign-in, a small body and the address's rate.
    const preAuth = route.kind === 'tenant' && route.op !== 'usage'
    const session = preAuth ? undefined : await ctx.signIn.signedIn(bearer(req), named, address, seen)
    const tenant = session?.tenant ?? resolveTenant(named)
    if (tenant !== undefined) observer.note(res, { tenant })
    if (preAuth) ctx.rates.takeAddress(address)
    const maxBytes = preAuth ? Math.min(MAX_PRE_AUTH_BODY_BYTES, limits.maxBodyBytes) : limits.maxBodyBytes
    // The body, then the response, held in the tenant's memory budget until the response is written or dropped.
    const holds: Hold[] = []
    res.once('close', () => holds.forEach((h) => h.release()))
    if (session) holds.push(holdBody(ctx, session.tenant, req, maxBytes))
    const raw = await readBody(req, maxBytes)
    bodyRead = true
    observer.note(res, { bytesIn: raw.length })
    holds[0]?.resize(raw.length)
    const body = decodeMessage(raw, messageKind(route), limits, maxBytes)
    const result = await handleOp(ctx, { route, req, session, named, body, holds, address, seen })
    count(ctx, seen, false)
    const bytes = encodeBody(result)
    endIfDraining(ctx, res)
    res.writeHead(200, { 'content-type': MSGPACK_TYPE, 'content-length': bytes.length })
    res.end(bytes)
  } catch (err) {
    count(ctx, seen, true)
    const w = toWeftError(err, ErrorCodes.SERVER_ERROR)
    observer.note(res, { code: w.code })
    if (w.code === ErrorCodes.SERVER_ERROR || w.code === ErrorCodes.STORAGE_ERROR) ctx.log('request failed', err)
    const status = route404(w) ? 404 : httpStatusOf(w.code)
    const text = JSON.stringify({ code: w.code, message: w.message })
    // A body we refused to read (too large, or sent without a valid session) is thrown away as it
    // arrives, never kept; one declared larger than any body we take closes the connection.
    const drop = status === 413 || (!bodyRead && hasBody(req))
    const close = drop && Number(req.headers['content-length'] ?? 0) > limits.maxBodyBytes
    if (!res.headersSent) {
      endIfDraining(ctx, res)
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(status === 429 || status === 503 ? { 'retry-after': String(retryAfterOf(err)) } : {}),
        ...(close ? { connection: 'close' } : {}),
      })
    }
    res.end(text)
    if (drop) discardThenClose(req, limits.maxBodyBytes)
  }
}

/** While draining, a kept-alive connection ends after its answer: the client's next request goes elsewhere. */
function endIfDraining(ctx: RequestContext, res: ServerResponse): void {
  if (ctx.draining()) res.setHeader('connection', 'close')
}

/** Counts a request of a tenant the catalogue holds, refused or not (for its statistics). */
function count(ctx: RequestContext, seen: Seen, refused: boolean): void {
  const tenancy = ctx.tenancy()
  if (seen.tenant !== undefined && tenancy.catalogue.peek(seen.tenant)) {
    tenancy.counters.count(seen.tenant, refused)
    ctx.stats()?.changed(seen.tenant)
  }
}

/** Holds a request body (its declared size, or the most it may be) in the tenant's memory budget. */
function holdBody(ctx: RequestContext, tenant: string, req: IncomingMessage, maxBytes: number): Hold {
  const declared = Number(req.headers['content-length'])
  const h = ctx.budget.hold(
    tenant,
    Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, maxBytes) : maxBytes,
  )
  if (!h) throw rateLimited("the server holds too much for this tenant's requests now; retry shortly", 1)
  return h
}
