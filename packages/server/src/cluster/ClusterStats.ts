import { packValue, unpackValue, type KeyValueStore } from '@weft/core/backend'
import { countsOf, type CounterSnapshot, type RequestCounters, type WindowCounts } from '../tenancy/RequestCounters.ts'

/** A tenant's figures summed over every process sharing the storage. */
export interface SharedFigures {
  readonly requests: { readonly lastHour: WindowCounts; readonly lastDay: WindowCounts }
  readonly liveConnections: number
  readonly eventStreams: number
}

/** What one process last wrote of one tenant. */
interface Row extends CounterSnapshot {
  readonly at: number
  readonly live: number
  readonly streams: number
}

const DAY = 86_400_000
/** Largest row read back (a row is about 2 KiB). */
const MAX_ROW_BYTES = 64 * 1024

/**
 * Each tenant's request counts, live connections and event streams, summed over the processes
 * sharing one storage. Every process writes its own figures of a tenant to a row of its own
 * (`stats/<tenant>/<process>`) every `flushMs` while they change or while it holds sockets or
 * streams of the tenant, and when it answers the tenant's statistics. Reading sums every row:
 * request counts of every process (a stopped process's keep counting until they age out of the
 * day), live connections and streams only of rows written in the last three intervals (a process
 * that stopped holds none). So every process answers the same, within one interval of a change.
 */
export class ClusterStats {
  readonly #kv: KeyValueStore
  readonly #process: string
  readonly #counters: RequestCounters
  readonly #live: (tenant: string) => number
  readonly #streams: (tenant: string) => number
  readonly #held: () => Iterable<string>
  readonly #flushMs: number
  readonly #dirty = new Set<string>()
  readonly #timer: ReturnType<typeof setInterval>
  #flushing: Promise<void> = Promise.resolve()

  constructor(
    kv: KeyValueStore,
    options: {
      process: string
      counters: RequestCounters
      /** This process's open sockets and event streams of a tenant, and the tenants it holds any for. */
      live: (tenant: string) => number
      streams: (tenant: string) => number
      held: () => Iterable<string>
      flushMs: number
      log: (message: string, error?: unknown) => void
    },
  ) {
    this.#kv = kv
    this.#process = options.process
    this.#counters = options.counters
    this.#live = options.live
    this.#streams = options.streams
    this.#held = options.held
    this.#flushMs = options.flushMs
    this.#timer = setInterval(() => {
      void this.flush().catch((err: unknown) => options.log('could not share request counts', err))
    }, options.flushMs)
    this.#timer.unref()
  }

  /** Notes that `tenant`'s figures changed here (a request, a socket), to be written at the next flush. */
  changed(tenant: string): void {
    this.#dirty.add(tenant)
  }

  /** Writes this process's figures of the tenants that changed or that it holds sockets or streams of. */
  flush(): Promise<void> {
    const tenants = new Set([...this.#dirty, ...this.#held()])
    this.#dirty.clear()
    this.#flushing = this.#flushing.then(async () => {
      for (const t of tenants) await this.#write(t)
    })
    return this.#flushing
  }

  /** `tenant`'s figures summed over every process (this one's written first). */
  async read(tenant: string, now = Date.now()): Promise<SharedFigures> {
    this.#dirty.delete(tenant)
    await this.#flushing
    await this.#write(tenant)
    const zero = { requests: 0, refusals: 0 }
    const requests = { lastHour: { ...zero }, lastDay: { ...zero } }
    let liveConnections = 0
    let eventStreams = 0
    const prefix = rowPrefix(tenant)
    for (const key of await this.#kv.keys(prefix)) {
      const raw = await this.#kv.get(key)
      const row = raw && decodeRow(raw)
      if (!row) continue
      if (row.at < now - DAY) {
        await this.#kv.delete(key) // nothing of it is within the day any more
        continue
      }
      const c = countsOf(row, now)
      if (c) {
        for (const w of ['lastHour', 'lastDay'] as const) {
          requests[w].requests += c[w].requests
          requests[w].refusals += c[w].refusals
        }
      }
      if (row.at >= now - 3 * this.#flushMs) {
        liveConnections += row.live
        eventStreams += row.streams
      }
    }
    return { requests, liveConnections, eventStreams }
  }

  /** Stops flushing, after writing what this process still holds (nothing live, once its sockets closed). */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.flush().catch(() => undefined)
  }

  async #write(tenant: string): Promise<void> {
    const snapshot = this.#counters.snapshot(tenant)
    const live = this.#live(tenant)
    const streams = this.#streams(tenant)
    const key = rowPrefix(tenant) + this.#process
    if (!snapshot && live === 0 && streams === 0) {
      await this.#kv.delete(key)
      return
    }
    const empty = {
      minutes: new Array(120).fill(0),
      hours: new Array(48).fill(0),
      minuteOf: new Array(60).fill(-1),
      hourOf: new Array(24).fill(-1),
    }
    const row: Row = { ...(snapshot ?? empty), at: Date.now(), live, streams }
    await this.#kv.put(key, packValue(row))
  }
}

function rowPrefix(tenant: string): string {
  return `stats/${tenant}/`
}

function decodeRow(raw: Uint8Array): Row | undefined {
  try {
    const r = unpackValue<Row>(raw, MAX_ROW_BYTES)
    if (!Number.isFinite(r?.at) || !Number.isSafeInteger(r.live) || !Number.isSafeInteger(r.streams)) return undefined
    return r
  } catch {
    return undefined
  }
}
