import type { SyncProgress } from '@weft/core'
import cliProgress from 'cli-progress'
import type { Output } from './output.ts'

/**
 * Shows sync progress: a bar with entries, bytes, rate and ETA on a terminal; on anything else a
 * plain line now and then (or, with `--json`, one JSON object per line on stderr).
 */
export class ProgressView {
  readonly #out: Output
  readonly #label: string
  #bar: cliProgress.SingleBar | undefined
  #lastLine = 0
  readonly #started = performance.now()

  constructor(out: Output, label: string) {
    this.#out = out
    this.#label = label
  }

  /** The callback to hand to `onProgress`. */
  readonly update = (p: SyncProgress): void => {
    const total = p.totalEntries ?? 0
    if (this.#out.interactive) {
      if (p.phase === 'reconcile') return
      if (!this.#bar) {
        this.#bar = new cliProgress.SingleBar(
          {
            format: `${this.#label} [{bar}] {percentage}% | {value}/{total} entries | {size} | {rate}/s | ETA {eta_formatted}`,
            stream: this.#out.stderr,
            hideCursor: true,
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        )
        this.#bar.start(total, 0, { size: formatBytes(0), rate: 0 })
      }
      this.#bar.setTotal(total)
      this.#bar.update(p.entries, { size: formatBytes(p.bytes), rate: this.#rate(p.entries) })
      if (p.phase === 'done') this.#bar.stop()
      return
    }
    const now = performance.now()
    if (p.phase !== 'done' && now - this.#lastLine < 1_000) return
    this.#lastLine = now
    if (this.#out.json) this.#out.note(JSON.stringify({ progress: this.#label, ...p }))
    else this.#out.note(`${this.#label}: ${p.phase} ${p.entries}/${total} entries, ${formatBytes(p.bytes)}`)
  }

  #rate(entries: number): number {
    const seconds = (performance.now() - this.#started) / 1_000
    return seconds > 0 ? Math.round(entries / seconds) : 0
  }
}

/** `1536` → `1.5 KiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}
