/**
 * A small signal between the processes that share one storage (for example several relay
 * processes over one PostgreSQL): "tenant t's members changed", "entries up to arrival n were
 * stored in t/db". A message names what changed so a receiver can fetch or forget; it never
 * carries entry bytes, keys or tokens. Delivery is at most once: a receiver that may have missed
 * messages (its connection to the storage dropped) is told by {@link ClusterBus.onGap}, and must
 * then catch up by reading the storage.
 */
export interface ClusterMessage {
  /** What kind of change, e.g. `stored`, `members`, `tenant`. At most 64 characters. */
  readonly topic: string
  /** The tenant it concerns. */
  readonly tenant: string
  /** Small details (a database name, an arrival number). Strings and numbers only. */
  readonly data?: Readonly<Record<string, string | number>>
}

/** Signals between processes sharing a storage. A process does not receive its own messages. */
export interface ClusterBus {
  /** Sends `message` to every other process on the bus. Resolves once sent (not once received). */
  publish(message: ClusterMessage): Promise<void>
  /** Calls `handler` with every message another process publishes, until the returned function is called. */
  subscribe(handler: (message: ClusterMessage) => void): () => void
  /**
   * Calls `handler` after the bus reconnected: messages sent while it was away are lost, so
   * whatever the receiver keeps (caches, cursors of live subscriptions) must be checked again.
   */
  onGap(handler: () => void): () => void
  /** Resolves once the bus is listening (messages published after that reach it). */
  ready(): Promise<void>
  close(): Promise<void>
}

/** Most bytes of a message once encoded (PostgreSQL's NOTIFY takes up to 8000). */
export const MAX_CLUSTER_MESSAGE_BYTES = 7_900

/** Encodes `message` for the wire; throws `RangeError` past {@link MAX_CLUSTER_MESSAGE_BYTES}. */
export function encodeClusterMessage(origin: string, message: ClusterMessage): string {
  const text = JSON.stringify({ o: origin, t: message.topic, n: message.tenant, d: message.data ?? {} })
  if (message.topic.length > 64 || new TextEncoder().encode(text).length > MAX_CLUSTER_MESSAGE_BYTES)
    throw new RangeError('a cluster message is at most 64 characters of topic and 7,900 bytes')
  return text
}

/** Decodes a message from the wire: its origin and message, or undefined for anything malformed. */
export function decodeClusterMessage(text: string): { origin: string; message: ClusterMessage } | undefined {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof v !== 'object' || v === null) return undefined
  const { o, t, n, d } = v as Record<string, unknown>
  if (typeof o !== 'string' || typeof t !== 'string' || typeof n !== 'string') return undefined
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return undefined
  const fields = Object.entries(d)
  for (const [, x] of fields) if (typeof x !== 'string' && typeof x !== 'number') return undefined
  // Own properties whatever their names: assigning a `__proto__` key would set the prototype and lose the field.
  const data = Object.fromEntries(fields) as Record<string, string | number>
  return { origin: o, message: { topic: t, tenant: n, data } }
}

/**
 * Buses for servers in one process (tests, or several servers over one in-memory storage): each
 * bus made by {@link bus} receives what the others publish.
 */
export class LocalClusterHub {
  readonly #buses = new Set<LocalClusterBus>()

  /** A new bus on this hub. */
  bus(): ClusterBus {
    const b = new LocalClusterBus(this.#buses)
    this.#buses.add(b)
    return b
  }
}

class LocalClusterBus implements ClusterBus {
  readonly #peers: Set<LocalClusterBus>
  readonly #handlers = new Set<(message: ClusterMessage) => void>()

  constructor(peers: Set<LocalClusterBus>) {
    this.#peers = peers
  }

  async publish(message: ClusterMessage): Promise<void> {
    encodeClusterMessage('local', message)
    const copy = { ...message, data: { ...message.data } }
    for (const peer of this.#peers) if (peer !== this) queueMicrotask(() => peer.#deliver(copy))
  }

  #deliver(message: ClusterMessage): void {
    for (const h of this.#handlers) h(message)
  }

  subscribe(handler: (message: ClusterMessage) => void): () => void {
    this.#handlers.add(handler)
    return () => this.#handlers.delete(handler)
  }

  onGap(): () => void {
    return () => {}
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.#peers.delete(this)
    this.#handlers.clear()
  }
}
