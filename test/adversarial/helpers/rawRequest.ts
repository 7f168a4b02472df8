import { request } from 'node:http'
import { generateSigningKeyPair, type SigningKeyPair } from '@weft/core'
import { registerMembers, ServerConnection } from '@weft/client'

/** What a raw request got back: the status (0 when the connection failed first), the error code, and how long it took. */
export interface RawAnswer {
  readonly status: number
  readonly code?: string
  readonly ms: number
}

/**
 * POSTs raw bytes as an attacker would (any body, any header, from any loopback address): resolves
 * with the first answer, even when the server closes the connection before taking the whole body.
 */
export function rawRequest(
  url: string,
  options: {
    body?: Uint8Array
    headers?: Record<string, string>
    method?: string
    localAddress?: string
    timeoutMs?: number
  } = {},
): Promise<RawAnswer> {
  const t0 = performance.now()
  const u = new URL(url)
  return new Promise((resolve) => {
    let settled = false
    const done = (a: Omit<RawAnswer, 'ms'>) => {
      if (settled) return
      settled = true
      resolve({ ...a, ms: performance.now() - t0 })
    }
    const body = options.body ?? new Uint8Array()
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: options.method ?? 'POST',
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        headers: {
          'content-type': 'application/vnd.weft.v1+msgpack',
          'content-length': body.length,
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          let code: string | undefined
          try {
            code = (JSON.parse(Buffer.concat(chunks).toString()) as { code?: string }).code
          } catch {
            // a MessagePack success body
          }
          done({ status: res.statusCode ?? 0, ...(code ? { code } : {}) })
        })
        res.on('error', () => done({ status: res.statusCode ?? 0 }))
      },
    )
    req.setTimeout(options.timeoutMs ?? 30_000, () => {
      req.destroy()
      done({ status: 0 })
    })
    req.on('error', () => done({ status: 0 }))
    req.end(body)
  })
}

/** A tenant registered on `url` with one member, signed in: its session token for raw requests. */
export async function signedInMember(
  url: string,
  tenant: string,
): Promise<{ token: string; key: SigningKeyPair; connection: ServerConnection }> {
  const key = generateSigningKeyPair()
  await registerMembers({ url, tenant, admin: generateSigningKeyPair(), seq: 1, add: [key.publicKey] })
  const connection = new ServerConnection({ url, tenant, key })
  return { token: await connection.token(), key, connection }
}
