/**
 * Timing helpers and the printed table. Every figure is shown beside a reference measured in the
 * same run, so a slow or busy machine moves both and the ratio stays meaningful.
 */
import { PerformanceObserver } from 'node:perf_hooks'

/** One row of the results table. */
export interface Figure {
  readonly name: string
  /** The engine's figure, already formatted with its unit. */
  readonly value: string
  /** The reference measured in the same run, formatted with its unit. */
  readonly reference: string
  /** value / reference, in the direction the target is stated in. */
  readonly ratio: number
  /** Human-readable target, for example `>= 0.60` or `<= 0.50`. */
  readonly target: string
  readonly met: boolean
  /** Extra detail printed under the table (runs, counts, breakdowns). */
  readonly notes?: readonly string[]
}

/** A raw machine figure printed beside the value DESIGN.md §8 measured on the reference machine. */
export interface MachineFigure {
  readonly name: string
  readonly perSecond: number
  /** What DESIGN.md §8 quotes, per second. */
  readonly design: number
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of nothing')
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Milliseconds `fn` takes (async allowed). */
export async function timeMs(fn: () => unknown): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

/** Wall-clock and process CPU time (all threads) of one timed section. */
export interface Timing {
  readonly ms: number
  readonly cpuMs: number
  /** Garbage-collection pauses during the section, as V8 reports them (`gc` performance entries). */
  readonly gcMs: number
}

/** Times `fn` on the wall clock, in process CPU time and in garbage-collection pauses. */
export async function measure(fn: () => unknown): Promise<Timing> {
  let gcMs = 0
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration
  })
  gc.observe({ entryTypes: ['gc'] })
  const cpu = process.cpuUsage()
  const start = performance.now()
  await fn()
  const ms = performance.now() - start
  const used = process.cpuUsage(cpu)
  // Node hands over `gc` entries on a later turn of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 0))
  gc.disconnect()
  return { ms, cpuMs: (used.user + used.system) / 1000, gcMs }
}

/** Runs `fn` repeatedly for about `budgetMs` and returns operations per second. */
export function opsPerSecond(fn: () => void, budgetMs = 300, batch = 100): number {
  for (let i = 0; i < batch; i++) fn() // warm-up
  let ops = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < budgetMs) {
    for (let i = 0; i < batch; i++) fn()
    ops += batch
    elapsed = performance.now() - start
  }
  return (ops / elapsed) * 1000
}

/** Lets pending timers and I/O callbacks run (and the garbage collector catch up, if exposed). */
export async function settle(ms = 50): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
  ;(globalThis as { gc?: () => void }).gc?.()
}

export function fmtRate(perSecond: number, unit: string): string {
  return `${Math.round(perSecond).toLocaleString('en-US')} ${unit}/s`
}

export function fmtMs(ms: number): string {
  return ms >= 100 ? `${Math.round(ms).toLocaleString('en-US')} ms` : `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`
}

export function fmtRatio(r: number): string {
  return r >= 10 ? `${r.toFixed(1)}x` : r >= 1 ? `${r.toFixed(2)}x` : r.toFixed(2)
}

/** A one-line progress note on stderr, so the table on stdout stays clean. */
export function progress(message: string): void {
  process.stderr.write(`  · ${message}\n`)
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`
  return [line(header), rule, ...rows.map(line)].join('\n')
}

export function printFigures(figures: readonly Figure[]): void {
  console.log(
    table(
      ['figure', 'weft', 'reference (same run)', 'ratio', 'target', 'met'],
      figures.map((f) => [f.name, f.value, f.reference, fmtRatio(f.ratio), f.target, f.met ? 'yes' : 'NO']),
    ),
  )
  for (const f of figures) {
    if (!f.notes?.length) continue
    console.log(`\n${f.name}:`)
    for (const n of f.notes) console.log(`  ${n}`)
  }
}

export function printMachine(figures: readonly MachineFigure[]): void {
  console.log(
    table(
      ['machine reference', 'this run', 'DESIGN §8', 'this run / §8'],
      figures.map((f) => [
        f.name,
        fmtRate(f.perSecond, 'op'),
        fmtRate(f.design, 'op'),
        fmtRatio(f.perSecond / f.design),
      ]),
    ),
  )
}
