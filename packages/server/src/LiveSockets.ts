import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { MAX_SOCKET_MESSAGE_BYTES } from '@weft/protocol'
import { WebSocketServer, type WebSocket } from 'ws'
import type { LiveConnection } from './LiveConnection.ts'

type Pinged = WebSocket & { alive?: boolean }

/**
 * The server process's open live sockets, by tenant: the WebSocket upgrade, a ping every
 * `pingIntervalMs` that ends a socket which did not answer the last one, and the sets the server
 * wakes, re-checks and closes sockets through (a tenant's without walking every other tenant's).
 */
export class LiveSockets {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_MESSAGE_BYTES })
  readonly #all = new Set<LiveConnection>()
  readonly #byTenant = new Map<string, Set<LiveConnection>>()
  readonly #ping: ReturnType<typeof setInterval>
  readonly #changed: (tenant: string) => void

  /** `changed`: a socket of the tenant opened or closed. */
  constructor(options: { readonly pingIntervalMs: number; readonly changed: (tenant: string) => void }) {
    this.#changed = options.changed
    this.#ping = setInterval(() => this.#keepAlive(), options.pingIntervalMs)
    this.#ping.unref()
  }

  /** Open sockets in all. */
  get size(): number {
    return this.#all.size
  }

  /** Every open socket. */
  all(): Iterable<LiveConnection> {
    return this.#all
  }

  /** The open sockets of `tenant`. */
  of(tenant: string): Iterable<LiveConnection> {
    return this.#byTenant.get(tenant) ?? []
  }

  /** Has every open socket of `tenant` check its standing again (a membership, status or setting changed). */
  recheck(tenant: string): void {
    for (const c of this.of(tenant)) void c.recheck()
  }

  /** How many sockets `tenant` has open. */
  countOf(tenant: string): number {
    return this.#byTenant.get(tenant)?.size ?? 0
  }

  /** `tenant`'s open sockets, counted by the key they signed in with. */
  countByKey(tenant: string): Map<string, number> {
    const byKey = new Map<string, number>()
    for (const c of this.of(tenant)) byKey.set(c.key, (byKey.get(c.key) ?? 0) + 1)
    return byKey
  }

  /** Completes the WebSocket upgrade of a signed-in request; `connect` makes its connection (none: it was closed). */
  accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    connect: (ws: WebSocket) => LiveConnection | undefined,
  ): void {
    this.#wss.handleUpgrade(req, socket, head, (ws: Pinged) => {
      const conn = connect(ws)
      if (!conn) return
      this.#add(conn)
      ws.alive = true
      ws.on('pong', () => void (ws.alive = true))
      ws.on('close', () => this.#remove(conn))
    })
  }

  /** Tells every socket to reconnect elsewhere (the process is draining). */
  goAway(): void {
    for (const c of this.#all) c.goAway()
  }

  /** Stops pinging and closes every socket at once. */
  close(): void {
    clearInterval(this.#ping)
    for (const ws of this.#wss.clients) ws.terminate()
    for (const c of this.#all) c.close()
    this.#all.clear()
    this.#byTenant.clear()
  }

  /** Stops pinging (the sockets stay open until {@link close}). */
  stopPinging(): void {
    clearInterval(this.#ping)
  }

  #add(conn: LiveConnection): void {
    this.#all.add(conn)
    let set = this.#byTenant.get(conn.tenant)
    if (!set) this.#byTenant.set(conn.tenant, (set = new Set()))
    set.add(conn)
    this.#changed(conn.tenant)
  }

  #remove(conn: LiveConnection): void {
    if (!this.#all.delete(conn)) return
    const set = this.#byTenant.get(conn.tenant)
    set?.delete(conn)
    if (set?.size === 0) this.#byTenant.delete(conn.tenant)
    this.#changed(conn.tenant)
  }

  #keepAlive(): void {
    for (const ws of this.#wss.clients as Set<Pinged>) {
      if (ws.alive === false) {
        ws.terminate()
        continue
      }
      ws.alive = false
      ws.ping()
    }
  }
}
