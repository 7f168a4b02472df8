/** Requests and refusals of one tenant over a window. */
export interface WindowCounts {
  readonly requests: number
  readonly refusals: number
}

interface Rings {
  /** Per minute of the last hour: requests, then refusals, 60 slots each. */
  readonly minutes: Float64Array
  /** Per hour of the last day: requests, then refusals, 24 slots each. */
  readonly hours: Float64Array
  /** The minute and hour each slot was last written in (so stale slots read as 0). */
  readonly minuteOf: Float64Array
  readonly hourOf: Float64Array
}

/** One tenant's rings, as {@link RequestCounters.snapshot} gives them. */
export interface CounterSnapshot {
  readonly minutes: readonly number[]
  readonly hours: readonly number[]
  readonly minuteOf: readonly number[]
  readonly hourOf: readonly number[]
}

/** The counts of a snapshot at `now`; undefined when it is not a snapshot's shape. */
export function countsOf(
  s: CounterSnapshot,
  now: number,
): { lastHour: WindowCounts; lastDay: WindowCounts } | undefined {
  const sizes = [s?.minutes?.length, s?.hours?.length, s?.minuteOf?.length, s?.hourOf?.length]
  if (sizes.join() !== '120,48,60,24') return undefined
  const all = [s.minutes, s.hours, s.minuteOf, s.hourOf].flat()
  if (!all.every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined
  return {
    lastHour: sum(s.minutes, s.minuteOf, Math.floor(now / MINUTE), 60),
    lastDay: sum(s.hours, s.hourOf, Math.floor(now / HOUR), 24),
  }
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/**
 * Requests and refusals per tenant in the last hour (by minute) and the last day (by hour), in
 * fixed-size rings: a tenant costs about 2 KiB, and at most `maxTenants` are tracked (the least
 * recently counted is forgotten first). Counts are this process's own (processes sharing a
 * storage add theirs up through `ClusterStats`).
 */
export class RequestCounters {
  readonly #rings = new Map<string, Rings>()
  readonly #max: number
  readonly #now: () => number

  constructor(maxTenants = 100_000, now: () => number = Date.now) {
    this.#max = maxTenants
    this.#now = now
  }

  /** Counts one request of `tenant`, refused or not. */
  count(tenant: string, refused: boolean): void {
    let r = this.#rings.get(tenant)
    if (r) this.#rings.delete(tenant)
    else {
      if (this.#rings.size >= this.#max) this.#rings.delete(this.#rings.keys().next().value!)
      r = {
        minutes: new Float64Array(120),
        hours: new Float64Array(48),
        minuteOf: new Float64Array(60).fill(-1),
        hourOf: new Float64Array(24).fill(-1),
      }
    }
    this.#rings.set(tenant, r) // most recently counted last
    const now = this.#now()
    bump(r.minutes, r.minuteOf, Math.floor(now / MINUTE), 60, refused)
    bump(r.hours, r.hourOf, Math.floor(now / HOUR), 24, refused)
  }

  /** `tenant`'s counts in the last hour and the last day (to the hour). */
  counts(tenant: string): { lastHour: WindowCounts; lastDay: WindowCounts } {
    const r = this.#rings.get(tenant)
    const now = this.#now()
    if (!r) return { lastHour: { requests: 0, refusals: 0 }, lastDay: { requests: 0, refusals: 0 } }
    return {
      lastHour: sum(r.minutes, r.minuteOf, Math.floor(now / MINUTE), 60),
      lastDay: sum(r.hours, r.hourOf, Math.floor(now / HOUR), 24),
    }
  }

  /** `tenant`'s rings as plain numbers (for another process to sum), or undefined when it has none. */
  snapshot(tenant: string): CounterSnapshot | undefined {
    const r = this.#rings.get(tenant)
    return r && { minutes: [...r.minutes], hours: [...r.hours], minuteOf: [...r.minuteOf], hourOf: [...r.hourOf] }
  }

  /** Forgets `tenant` (deleted). */
  forget(tenant: string): void {
    this.#rings.delete(tenant)
  }
}

function bump(counts: Float64Array, of: Float64Array, unit: number, slots: number, refused: boolean): void {
  const i = unit % slots
  if (of[i] !== unit) {
    of[i] = unit
    counts[i] = 0
    counts[slots + i] = 0
  }
  counts[i]!++
  if (refused) counts[slots + i]!++
}

function sum(counts: ArrayLike<number>, of: ArrayLike<number>, unit: number, slots: number): WindowCounts {
  let requests = 0
  let refusals = 0
  for (let i = 0; i < slots; i++) {
    if (of[i]! > unit - slots) {
      requests += counts[i]!
      refusals += counts[slots + i]!
    }
  }
  return { requests, refusals }
}
