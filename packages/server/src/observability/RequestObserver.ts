import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { routeShape } from './routeShape.ts'
import { logRequest } from './serverLogger.ts'
import type { ServerMetrics } from './ServerMetrics.ts'

interface Seen {
  readonly reqId: string
  readonly started: number
  route: string
  tenant?: string
  code?: string
  bytesIn?: number
}

/**
 * Follows each HTTP request from arrival to its last byte and then logs it and counts it. The
 * request handler adds what it learns on the way (the route's shape, the tenant once known, a
 * refusal's code) with {@link RequestObserver.note}; nothing else of the request is kept.
 */
export class RequestObserver {
  readonly #log: Logger | undefined
  readonly #metrics: ServerMetrics | undefined
  readonly #seen = new WeakMap<ServerResponse, Seen>()

  constructor(log: Logger | undefined, metrics: ServerMetrics | undefined) {
    this.#log = log
    this.#metrics = metrics
  }

  /** Starts following a request; its id goes back to the client as `x-request-id`. */
  begin(req: IncomingMessage, res: ServerResponse): void {
    if (!this.#log && !this.#metrics) return
    const path = (req.url ?? '/').split('?')[0]!
    const seen: Seen = { reqId: randomUUID(), started: performance.now(), route: routeShape(undefined, path) }
    this.#seen.set(res, seen)
    res.setHeader('x-request-id', seen.reqId)
    res.once('close', () => this.#finish(req, res, seen))
  }

  /** Adds what the handler learnt about the request. */
  note(res: ServerResponse, facts: { route?: string; tenant?: string; code?: string; bytesIn?: number }): void {
    const seen = this.#seen.get(res)
    if (!seen) return
    if (facts.route !== undefined) seen.route = facts.route
    if (facts.tenant !== undefined) seen.tenant = facts.tenant
    if (facts.code !== undefined) seen.code = facts.code
    if (facts.bytesIn !== undefined) seen.bytesIn = facts.bytesIn
  }

  #finish(req: IncomingMessage, res: ServerResponse, seen: Seen): void {
    const durationMs = performance.now() - seen.started
    // A response the client dropped before it ended has no status of its own: 499, as proxies say.
    const status = res.writableFinished ? res.statusCode : 499
    this.#metrics?.request(seen.route, status, durationMs / 1_000, seen.code)
    if (this.#log) {
      const length = Number(res.getHeader('content-length'))
      logRequest(this.#log, {
        reqId: seen.reqId,
        method: req.method ?? 'GET',
        route: seen.route,
        ...(seen.tenant !== undefined ? { tenant: seen.tenant } : {}),
        status,
        durationMs,
        ...(seen.code !== undefined ? { code: seen.code } : {}),
        ...(seen.bytesIn !== undefined ? { bytesIn: seen.bytesIn } : {}),
        ...(Number.isFinite(length) ? { bytesOut: length } : {}),
      })
    }
  }
}
