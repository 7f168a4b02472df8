import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * The server's Prometheus metrics, in a registry of its own (two servers in one process do not
 * mix): requests by route and status, refusals by code, request durations, live connections,
 * entries and bytes stored. Labels never carry a tenant id or anything a client chose beyond the
 * route's shape and a `WEFT_*` code, so the number of series stays bounded whatever clients send.
 */
export class ServerMetrics {
  readonly registry = new Registry()
  readonly requests: Counter<'route' | 'status'>
  readonly refusals: Counter<'code'>
  readonly duration: Histogram<'route'>
  readonly liveConnections: Gauge
  readonly entriesStored: Counter
  readonly bytesStored: Counter
  readonly #live = { count: (): number => 0 }

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry]
    this.requests = new Counter({
      name: 'weft_requests_total',
      help: 'HTTP requests answered, by route shape and status',
      labelNames: ['route', 'status'],
      registers,
    })
    this.refusals = new Counter({
      name: 'weft_refusals_total',
      help: 'Requests and socket messages refused, by WEFT_* code',
      labelNames: ['code'],
      registers,
    })
    this.duration = new Histogram({
      name: 'weft_request_duration_seconds',
      help: 'Time to answer a request, by route shape',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    this.liveConnections = new Gauge({
      name: 'weft_live_connections',
      help: 'Open live WebSocket connections',
      registers,
    })
    this.entriesStored = new Counter({
      name: 'weft_entries_stored_total',
      help: 'Entries stored from pushes',
      registers,
    })
    this.bytesStored = new Counter({
      name: 'weft_entry_bytes_stored_total',
      help: 'Bytes of entries stored',
      registers,
    })
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'weft_' })
  }

  /** Counts one answered request. */
  request(route: string, status: number, seconds: number, code?: string): void {
    this.requests.inc({ route, status: String(status) })
    this.duration.observe({ route }, seconds)
    if (code) this.refusals.inc({ code })
  }

  /** Reports `count()` as the live connections at each scrape. */
  watchLiveConnections(count: () => number): void {
    this.#live.count = count
  }

  /** Counts the entries a push stored (`added` hashes among `entries`). */
  stored(added: readonly string[], entries: readonly { hash: string; bytes: Uint8Array }[]): void {
    if (!added.length) return
    const set = new Set(added)
    let bytes = 0
    for (const e of entries) if (set.has(e.hash)) bytes += e.bytes.length
    this.entriesStored.inc(added.length)
    this.bytesStored.inc(bytes)
  }

  /** The text exposition format, for `GET /metrics`. */
  render(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
