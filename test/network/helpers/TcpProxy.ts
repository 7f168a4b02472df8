import { createServer, connect, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

/** A loopback TCP proxy in front of a server, whose connections a test can cut at any moment. */
export class TcpProxy {
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  bytes = 0

  private constructor(targetPort: number) {
    this.#server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1')
      for (const s of [client, upstream]) {
        this.#sockets.add(s)
        s.on('close', () => this.#sockets.delete(s))
        s.on('error', () => {
          client.destroy()
          upstream.destroy()
        })
      }
      upstream.on('data', (d) => (this.bytes += d.length))
      client.pipe(upstream)
      upstream.pipe(client)
    })
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const p = new TcpProxy(targetPort)
    await new Promise<void>((r) => p.#server.listen(0, '127.0.0.1', () => r()))
    return p
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  /** Drops every open connection mid-stream. */
  cut(): void {
    for (const s of this.#sockets) s.destroy()
  }

  async close(): Promise<void> {
    this.cut()
    await new Promise((r) => this.#server.close(r))
  }
}
