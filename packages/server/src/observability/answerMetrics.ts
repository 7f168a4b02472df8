import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCodes } from '@weft/core/backend'
import type { ServerMetrics } from './ServerMetrics.ts'

/**
 * Answers `GET /metrics` with the Prometheus text format; with a `token`, only to a scrape that
 * sends it as a bearer token (compared in constant time), else 401. False for any other request.
 */
export async function answerMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: ServerMetrics,
  token: string | undefined,
): Promise<boolean> {
  if (req.method !== 'GET' || req.url !== '/metrics') return false
  if (token !== undefined && !sameToken(req.headers.authorization, `Bearer ${token}`)) {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' })
    res.end(JSON.stringify({ code: ErrorCodes.UNAUTHORIZED, message: 'metrics need the scrape token' }))
    return true
  }
  const text = await metrics.render()
  res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
  res.end(text)
  return true
}

function sameToken(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '')
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
