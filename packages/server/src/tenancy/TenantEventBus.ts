/** The events the server reports to a tenant's admin subscribers and webhooks. */
export const TENANT_EVENT_TYPES = [
  'entry-stored',
  'member-registered',
  'quota-warning',
  'quota-refused',
  'tenant-suspended',
  'tenant-resumed',
  'tenant-updated',
  'tenant-deleting',
] as const

/** One of {@link TENANT_EVENT_TYPES}. */
export type TenantEventType =
  | 'entry-stored'
  | 'member-registered'
  | 'quota-warning'
  | 'quota-refused'
  | 'tenant-suspended'
  | 'tenant-resumed'
  | 'tenant-updated'
  | 'tenant-moved'
  | 'tenant-deleting'

/** One event: numbered in the order of the server process that emitted it, with the tenant it belongs to. */
export interface TenantEvent {
  readonly id: number
  readonly type: TenantEventType
  readonly tenant: string
  /** ms since the epoch. */
  readonly at: number
  readonly data: Readonly<Record<string, unknown>>
}

type Listener = (event: TenantEvent) => void

/**
 * The tenant-scoped event bus of one server process. Listeners subscribe to one tenant and get
 * that tenant's events only: events are kept apart by tenant from the moment they are made, and
 * each listener is checked again against the event's tenant before it is called. Listeners must
 * not block: the server's SSE streams and webhook queues bound what each holds.
 */
export class TenantEventBus {
  readonly #listeners = new Map<string, Set<Listener>>()
  readonly #all = new Set<Listener>()
  #seq = 0

  /** Reports an event of `tenant` to its listeners (and to `onEvery` listeners, which are the webhooks). */
  emit(tenant: string, type: TenantEventType, data: Record<string, unknown> = {}): TenantEvent {
    const event: TenantEvent = { id: ++this.#seq, type, tenant, at: Date.now(), data }
    for (const l of this.#listeners.get(tenant) ?? []) l(event)
    for (const l of this.#all) l(event)
    return event
  }

  /**
   * Hands an event another process emitted to `tenant`'s listeners here (not to `onEvery`
   * listeners: the emitting process sent its webhooks). `json` comes from the storage's bus, so it
   * is parsed and checked: anything malformed, or of another tenant, is dropped. True when delivered.
   */
  relay(tenant: string, json: string): boolean {
    const event = parseEvent(json)
    if (!event || event.tenant !== tenant) return false
    for (const l of this.#listeners.get(tenant) ?? []) l(event)
    return true
  }

  /** Calls `listener` with each later event of `tenant`; returns the unsubscribe. */
  subscribe(tenant: string, listener: Listener): () => void {
    let set = this.#listeners.get(tenant)
    if (!set) this.#listeners.set(tenant, (set = new Set()))
    const guarded: Listener = (e) => {
      if (e.tenant === tenant) listener(e)
    }
    set.add(guarded)
    return () => {
      set.delete(guarded)
      if (set.size === 0 && this.#listeners.get(tenant) === set) this.#listeners.delete(tenant)
    }
  }

  /** Calls `listener` with every event of every tenant (for the server's own dispatchers). */
  onEvery(listener: Listener): () => void {
    this.#all.add(listener)
    return () => void this.#all.delete(listener)
  }

  /** The tenants that have listeners now. */
  tenants(): string[] {
    return [...this.#listeners.keys()]
  }

  /** How many listeners `tenant` has. */
  listeners(tenant: string): number {
    return this.#listeners.get(tenant)?.size ?? 0
  }
}

/** An event from its JSON, or undefined when it is not one. */
function parseEvent(json: string): TenantEvent | undefined {
  let v: unknown
  try {
    v = JSON.parse(json)
  } catch {
    return undefined
  }
  const e = v as Partial<TenantEvent> | null
  if (typeof e !== 'object' || e === null) return undefined
  if (!Number.isSafeInteger(e.id) || !Number.isSafeInteger(e.at) || typeof e.tenant !== 'string') return undefined
  if (!(TENANT_EVENT_TYPES as readonly unknown[]).includes(e.type)) return undefined
  if (typeof e.data !== 'object' || e.data === null || Array.isArray(e.data)) return undefined
  return { id: e.id!, type: e.type!, tenant: e.tenant, at: e.at!, data: e.data }
}
