import { Agent, request } from 'node:http'

/**
 * A `fetch` that sends every request over one kept-alive connection, so a client behind a port
 * shared by several server processes talks to one of them at a time (sign-in challenges and
 * sessions are each process's own until they are shared). A new connection is made only when the
 * last one closed.
 */
export function stickyFetch(): typeof fetch {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input))
      const headers: Record<string, string> = {}
      new Headers(init?.headers).forEach((v, k) => (headers[k] = v))
      const req = request(
        url,
        { method: init?.method ?? 'GET', headers, agent, ...(init?.signal ? { signal: init.signal } : {}) },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            const h = new Headers()
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v)
            resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers: h }))
          })
        },
      )
      req.on('error', reject)
      req.end(init?.body ? Buffer.from(init.body as Uint8Array) : undefined)
    })
}
