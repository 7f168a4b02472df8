// A clock the sharing examples move by hand, so an expiry "mid-run" or a backoff schedule plays
// out in milliseconds. Tenants take it through `tenant.setClock`, the orchestrator through its
// `clock` option; a real deployment leaves both on the system clock.

/** A clock that only moves when told to. */
export interface SimulatedClock {
  (): number
  advance(ms: number): void
}

export const HOUR = 3_600_000

export function simulatedClock(start = Date.UTC(2031, 2, 3, 9, 0, 0)): SimulatedClock {
  let now = start
  const clock = (() => now) as SimulatedClock
  clock.advance = (ms) => void (now += ms)
  return clock
}

/** `09:00` style time of day for log lines (UTC). */
export function timeOfDay(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16)
}
