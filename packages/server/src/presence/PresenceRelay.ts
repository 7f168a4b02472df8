import { PRESENCE_LIMITS } from '@weft/core'
import {
  ErrorCodes,
  fromBase64Url,
  isDbName,
  toBase64Url,
  toWeftError,
  type ClusterBus,
  type ClusterMessage,
} from '@weft/core/backend'
import {
  encodeBody,
  isPresenceSocketType,
  parsePresenceSocketMessage,
  type PresenceSocketMessage,
  type ServerSocketMessage,
} from '@weft/protocol'
import type { WebSocket } from 'ws'
import { RateLimiter } from '../RateLimiter.ts'
import type { PresenceRelayOptions } from './PresenceRelayOptions.ts'

const DEFAULTS = {
  perConnection: { rate: 20, burst: 40 },
  perTenant: { rate: 200, burst: 400 },
  maxWatches: 64,
  maxBufferedBytes: 256 * 1024,
} as const

/** Least time between two `presence-refused` answers on one socket, so a flood is not echoed. */
const REFUSAL_GAP_MS = 1_000

let nextId = 0

/**
 * The relay's side of presence: it passes each presence message a socket sends to the tenant's
 * other sockets watching the same scope, and keeps none. The messages are signed and encrypted
 * by the devices; the relay reads neither. It bounds what one socket and one tenant may send a
 * second and what one socket may watch; refusals go back as `presence-refused` (at most one a
 * second), never closing the socket.
 */
export class PresenceRelay {
  readonly #o: Required<PresenceRelayOptions>
  readonly #limiter: RateLimiter
  /** tenant → scope → watching sockets. */
  readonly #watchers = new Map<string, Map<string, Set<PresenceMember>>>()
  #forwarded = 0
  #refused = 0
  /** The other processes over the same storage, when there are any. */
  #bus: ClusterBus | undefined

  constructor(options: PresenceRelayOptions = {}) {
    this.#o = { ...DEFAULTS, ...options }
    this.#limiter = new RateLimiter(this.#o.perConnection.rate, this.#o.perConnection.burst)
  }

  /** A socket's presence: the live connection hands it the messages it reads, and calls `leave` when it closes. */
  join(ws: WebSocket, tenant: string): PresenceMember {
    return new PresenceMember(this, ws, tenant, `c${nextId++}`)
  }

  /**
   * Passes presence to and from the other server processes over the same storage: a message a
   * socket sends here also reaches the tenant's watchers on every other process (through the
   * cluster bus, as the same opaque bytes), and theirs reach this process's watchers. Resolves to
   * the function that stops it.
   */
  link(bus: ClusterBus): () => void {
    this.#bus = bus
    const off = bus.subscribe((m) => this.#fromBus(m))
    return () => {
      off()
      this.#bus = undefined
    }
  }

  /** Messages passed on to a watcher, and messages refused, since the server started. */
  get counts(): { readonly forwarded: number; readonly refused: number } {
    return { forwarded: this.#forwarded, refused: this.#refused }
  }

  /** @internal */
  get options(): Required<PresenceRelayOptions> {
    return this.#o
  }

  /** @internal Takes a token of the socket's rate, then of its tenant's. */
  take(member: PresenceMember): boolean {
    if (!this.#limiter.take(member.id, Date.now(), this.#o.perConnection)) return false
    return this.#limiter.take(`tenant:${member.tenant}`, Date.now(), this.#o.perTenant)
  }

  /** @internal */
  watch(member: PresenceMember, scope: string): void {
    let scopes = this.#watchers.get(member.tenant)
    if (!scopes) this.#watchers.set(member.tenant, (scopes = new Map()))
    let set = scopes.get(scope)
    if (!set) scopes.set(scope, (set = new Set()))
    set.add(member)
  }

  /** @internal */
  unwatch(member: PresenceMember, scope: string): void {
    const scopes = this.#watchers.get(member.tenant)
    const set = scopes?.get(scope)
    if (!set) return
    set.delete(member)
    if (set.size === 0) scopes!.delete(scope)
    if (scopes!.size === 0) this.#watchers.delete(member.tenant)
  }

  /** @internal Passes one message on to every other socket of the tenant watching `scope`, here and in the other processes. */
  forward(from: PresenceMember, scope: string, data: Uint8Array): void {
    this.#deliver(from.tenant, scope, data, from)
    if (this.#bus)
      void this.#bus
        .publish({ topic: 'presence', tenant: from.tenant, data: { scope, data: toBase64Url(data) } })
        .catch(() => {}) // presence is best effort: a lost message is replaced by the next refresh
  }

  /** A presence message another process passed on: checked like one from a socket, then delivered here. */
  #fromBus(m: ClusterMessage): void {
    if (m.topic !== 'presence') return
    const scope = m.data?.scope
    const data = m.data?.data
    if (typeof scope !== 'string' || (scope !== '' && !isDbName(scope)) || typeof data !== 'string') return
    if (data.length > Math.ceil((PRESENCE_LIMITS.maxMessageBytes * 4) / 3) + 4) return
    let bytes: Uint8Array
    try {
      bytes = fromBase64Url(data)
    } catch {
      return
    }
    this.#deliver(m.tenant, scope, bytes, undefined)
  }

  #deliver(tenant: string, scope: string, data: Uint8Array, from: PresenceMember | undefined): void {
    const set = this.#watchers.get(tenant)?.get(scope)
    if (!set) return
    let bytes: Uint8Array | undefined
    for (const w of set) {
      if (w === from || !w.writable(this.#o.maxBufferedBytes)) continue
      bytes ??= encodeBody({ type: 'presence', scope, data } satisfies ServerSocketMessage)
      w.send(bytes)
      this.#forwarded++
    }
  }

  /** @internal */
  countRefusal(): void {
    this.#refused++
  }
}

/** One socket's presence on a {@link PresenceRelay}. */
export class PresenceMember {
  readonly tenant: string
  readonly id: string
  readonly #relay: PresenceRelay
  readonly #ws: WebSocket
  readonly #scopes = new Set<string>()
  #lastRefusal = 0
  #left = false

  /** @internal Use {@link PresenceRelay.join}. */
  constructor(relay: PresenceRelay, ws: WebSocket, tenant: string, id: string) {
    this.#relay = relay
    this.#ws = ws
    this.tenant = tenant
    this.id = id
  }

  /**
   * Handles a decoded socket message if it is a presence message (true), refusing it with a
   * `presence-refused` answer when malformed, too large or over a rate; false for any other message.
   */
  take(raw: unknown): boolean {
    const type = raw !== null && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined
    if (!isPresenceSocketType(type)) return false
    if (this.#left) return true
    const scopeOf = (raw as { scope?: unknown }).scope
    const scope = typeof scopeOf === 'string' ? scopeOf.slice(0, 128) : ''
    try {
      this.#handle(parsePresenceSocketMessage(raw as Record<string, unknown>))
    } catch (err) {
      const w = toWeftError(err, ErrorCodes.PROTOCOL)
      this.#refuse(scope, w.code, w.message)
    }
    return true
  }

  /** Stops watching everything (the socket closed). */
  leave(): void {
    this.#left = true
    for (const s of this.#scopes) this.#relay.unwatch(this, s)
    this.#scopes.clear()
  }

  /** @internal Whether a message may be queued on this socket now. */
  writable(maxBuffered: number): boolean {
    return !this.#left && this.#ws.readyState === this.#ws.OPEN && this.#ws.bufferedAmount <= maxBuffered
  }

  /** @internal */
  send(bytes: Uint8Array): void {
    this.#ws.send(bytes)
  }

  #handle(m: PresenceSocketMessage): void {
    switch (m.type) {
      case 'presence-watch':
        if (!this.#scopes.has(m.scope) && this.#scopes.size >= this.#relay.options.maxWatches)
          return this.#refuse(
            m.scope,
            ErrorCodes.PROTOCOL,
            `a socket watches at most ${this.#relay.options.maxWatches} presence scopes`,
          )
        this.#scopes.add(m.scope)
        this.#relay.watch(this, m.scope)
        return
      case 'presence-unwatch':
        this.#scopes.delete(m.scope)
        this.#relay.unwatch(this, m.scope)
        return
      case 'presence':
        if (!this.#relay.take(this))
          return this.#refuse(m.scope, ErrorCodes.RATE_LIMITED, 'too many presence messages; send fewer')
        this.#relay.forward(this, m.scope, m.data)
    }
  }

  #refuse(scope: string, code: string, message: string): void {
    this.#relay.countRefusal()
    const now = Date.now()
    if (now - this.#lastRefusal < REFUSAL_GAP_MS || !this.writable(64 * 1024)) return
    this.#lastRefusal = now
    const safeScope = isDbName(scope) ? scope : ''
    this.send(encodeBody({ type: 'presence-refused', scope: safeScope, code, message } satisfies ServerSocketMessage))
  }
}
