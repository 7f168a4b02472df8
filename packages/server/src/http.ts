import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCodes, WeftError } from '@weft/core'
import { TENANT_HEADER } from '@weft/protocol'

// Small pieces of HTTP handling the server uses for every request.

/** Lets browser apps on the allowed origins call the server (bearer tokens, no cookies). */
export function allowCors(req: IncomingMessage, res: ServerResponse, allowed: readonly string[] | '*'): void {
  const origin = headerValue(req.headers.origin)
  if (!origin || (allowed !== '*' && !allowed.includes(origin))) return
  res.setHeader('access-control-allow-origin', allowed === '*' ? '*' : origin)
  res.setHeader('access-control-allow-methods', 'GET, POST, PATCH, DELETE, OPTIONS')
  res.setHeader('access-control-allow-headers', `authorization, content-type, ${TENANT_HEADER}`)
  res.setHeader('access-control-expose-headers', 'retry-after')
  if (allowed !== '*') res.setHeader('vary', 'origin')
}

/** A `WEFT_RATE_LIMITED` error that knows its `retry-after` (seconds). */
export function rateLimited(message: string, retryAfter: number): WeftError {
  return Object.assign(new WeftError(ErrorCodes.RATE_LIMITED, message), { retryAfter })
}

export function retryAfterOf(err: unknown): number {
  const s = (err as { retryAfter?: unknown } | undefined)?.retryAfter
  return typeof s === 'number' && Number.isFinite(s) && s >= 1 ? Math.ceil(s) : 1
}

export function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

export function route404(w: WeftError): boolean {
  return w.code === ErrorCodes.PROTOCOL && w.message.startsWith('no such operation')
}

/** Reads a request body, refusing (before reading further) anything over `max` bytes. */
export function readBody(req: IncomingMessage, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > max)
    return Promise.reject(
      new WeftError(ErrorCodes.PAYLOAD_TOO_LARGE, `body of ${declared} bytes is over the ${max} limit`),
    )
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) {
        req.pause()
        reject(new WeftError(ErrorCodes.PAYLOAD_TOO_LARGE, `body is over the ${max} limit`))
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))))
    req.on('error', (err) => reject(new WeftError(ErrorCodes.NETWORK, 'request body failed', { cause: err })))
  })
}

/**
 * The client address a request counts against before it is signed in: the peer's IP address, and
 * for IPv6 its /64 network (one host usually holds a whole /64, so single addresses would be free).
 */
export function addressOf(req: IncomingMessage): string {
  const raw = req.socket.remoteAddress ?? 'unknown'
  if (raw.startsWith('::ffff:') && raw.includes('.')) return raw.slice(7)
  if (!raw.includes(':')) return raw
  const [head = '', tail = ''] = raw.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = raw.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

/** Whether a request comes with a body (declared, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined
}

/**
 * After refusing a request: a body not yet read is thrown away as it arrives, none of it kept, so
 * the client gets to read the answer; past `maxBytes` more, or a few seconds, the connection is cut.
 */
export function discardThenClose(req: IncomingMessage, maxBytes: number, ms = 5_000): void {
  if (req.complete) return
  let seen = 0
  const stop = () => {
    clearTimeout(timer)
    req.removeListener('data', onData)
  }
  const cut = () => {
    stop()
    req.socket?.destroy()
  }
  const onData = (c: Buffer) => {
    seen += c.length
    if (seen > maxBytes) cut()
  }
  const timer = setTimeout(cut, ms)
  timer.unref?.()
  req.on('data', onData)
  req.once('end', stop)
  req.once('close', stop)
  req.resume()
}
