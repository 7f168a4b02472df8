/**
 * The pure arithmetic of `npm run bench -- scale` and of docs/scale-out.md: percentiles of
 * measured latencies, and the shard model that turns per-PostgreSQL figures into a shard count.
 * No I/O here, so test/benchScaleModel.test.ts checks it directly.
 */

/**
 * The `p`-th percentile (0 < p <= 100) of `xs` by the nearest-rank method: the smallest value with
 * at least `p`% of the values at or below it. Always one of the values; throws on an empty list.
 */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) throw new RangeError('percentile of nothing')
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is not in (0, 100]`)
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.ceil((p / 100) * sorted.length) - 1]!
}

/** p50, p99 and the largest of a sample, and its size. */
export interface LatencySummary {
  readonly count: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

export function summarize(xs: readonly number[]): LatencySummary {
  return { count: xs.length, p50: percentile(xs, 50), p99: percentile(xs, 99), max: percentile(xs, 100) }
}

/** What a deployment must carry, and what one PostgreSQL (one shard's primary) was measured to carry. */
export interface ShardModelInput {
  /** Tenants in all. */
  readonly tenants: number
  /** Share of tenants writing at the busiest hour (0..1]. */
  readonly activeShare: number
  /** Entries a second each active tenant stores at that hour. */
  readonly entriesPerActiveTenantPerSecond: number
  /** Entries per push request (one notification is sent per stored push). At least 1. */
  readonly entriesPerPush: number
  /** Entries a second one PostgreSQL was measured to store (through the relay, signatures checked). */
  readonly measuredEntriesPerSecond: number
  /** Notifications a second one PostgreSQL was measured to deliver. */
  readonly measuredNotificationsPerSecond: number
  /** Share of a measured ceiling a shard may be planned to use (0..1]: headroom for peaks and failover. */
  readonly utilisation: number
  /** Tenants one shard may hold at most (rows, backups, restore time), whatever their load. */
  readonly maxTenantsPerShard: number
}

/** The shard count and what bound it. */
export interface ShardModelResult {
  /** Entries a second all tenants store at the busiest hour. */
  readonly entriesPerSecond: number
  /** Notifications a second that implies (one per push). */
  readonly notificationsPerSecond: number
  readonly shardsForWrites: number
  readonly shardsForNotifications: number
  readonly shardsForTenants: number
  /** The largest of the three. */
  readonly shards: number
  readonly boundBy: 'writes' | 'notifications' | 'tenants'
  /** Tenants per shard when tenants are spread evenly. */
  readonly tenantsPerShard: number
}

/**
 * Shards needed so that no shard's primary runs past `utilisation` of what one PostgreSQL was
 * measured to store or notify, and none holds more than `maxTenantsPerShard` tenants. Tenants are
 * assumed spread evenly by a hash of their id (a tenant larger than one shard's share gets a
 * dedicated database instead, and is left out of `tenants`).
 */
export function shardsFor(input: ShardModelInput): ShardModelResult {
  const positive = (name: keyof ShardModelInput, max = Infinity): number => {
    const v = input[name]
    if (!(v > 0 && v <= max)) throw new RangeError(`${name} must be in (0, ${max}], not ${v}`)
    return v
  }
  const tenants = positive('tenants')
  const active = positive('activeShare', 1)
  const rate = positive('entriesPerActiveTenantPerSecond')
  const perPush = Math.max(1, positive('entriesPerPush'))
  const utilisation = positive('utilisation', 1)
  const entriesPerSecond = tenants * active * rate
  const notificationsPerSecond = entriesPerSecond / perPush
  const shardsForWrites = Math.ceil(entriesPerSecond / (positive('measuredEntriesPerSecond') * utilisation))
  const shardsForNotifications = Math.ceil(
    notificationsPerSecond / (positive('measuredNotificationsPerSecond') * utilisation),
  )
  const shardsForTenants = Math.ceil(tenants / positive('maxTenantsPerShard'))
  const shards = Math.max(shardsForWrites, shardsForNotifications, shardsForTenants)
  const boundBy =
    shards === shardsForWrites ? 'writes' : shards === shardsForNotifications ? 'notifications' : 'tenants'
  return {
    entriesPerSecond,
    notificationsPerSecond,
    shardsForWrites,
    shardsForNotifications,
    shardsForTenants,
    shards,
    boundBy,
    tenantsPerShard: Math.ceil(tenants / shards),
  }
}

/**
 * The shard a tenant belongs to among `shards`: FNV-1a (32-bit) of its id, modulo the count. The
 * docs' placement rule for shared-table tenants, kept here so the bench can show how even it is.
 */
export function shardOf(tenant: string, shards: number): number {
  if (!(Number.isInteger(shards) && shards > 0))
    throw new RangeError(`shards must be a positive integer, not ${shards}`)
  let h = 0x811c9dc5
  for (const byte of new TextEncoder().encode(tenant)) {
    h ^= byte
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h % shards
}
