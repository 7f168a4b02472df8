import cluster, { type Worker } from 'node:cluster'

/** Options of {@link runWorkers}. */
export interface RunWorkersOptions {
  /** How many worker processes serve together. */
  readonly count: number
  /** Where the primary's own lines go (one line each). */
  readonly log: (line: string) => void
  /** A worker that lived less than this is restarted only after a pause (a crash loop slows down). Default 5 s. */
  readonly minUptimeMs?: number
}

/**
 * The primary of `weft-server --workers N`: runs this same program in `count` worker processes
 * (`node:cluster`), which share one listening port (connections are handed out in turn). Workers
 * start one after another, each once the one before listens (the first one creates what a fresh
 * storage needs). A worker that dies is replaced at once, or after a second when it died soon
 * after starting. SIGTERM or SIGINT is passed on to every worker, which drains gracefully
 * (`WeftServer.drain`); the primary exits once they all have. A second signal kills them.
 * Resolves once every first worker listens.
 */
export async function runWorkers(options: RunWorkersOptions): Promise<void> {
  const minUptime = options.minUptimeMs ?? 5_000
  let stopping = false
  const started = new Map<Worker, number>()

  const fork = (): Promise<void> => {
    const worker = cluster.fork()
    started.set(worker, Date.now())
    return new Promise((resolve) => {
      worker.once('listening', () => resolve())
      worker.once('exit', () => resolve())
    })
  }

  cluster.on('exit', (worker, code, signal) => {
    const uptime = Date.now() - (started.get(worker) ?? 0)
    started.delete(worker)
    if (stopping) {
      if (started.size === 0) process.exit(0)
      return
    }
    options.log(`weft server: worker ${worker.process.pid} exited (${signal ?? code}); starting another`)
    const again = setTimeout(() => void fork(), uptime < minUptime ? 1_000 : 0)
    again.unref()
  })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) {
        for (const w of started.keys()) w.process.kill('SIGKILL')
        return
      }
      stopping = true
      options.log(`weft server: ${signal}: draining ${started.size} workers`)
      if (started.size === 0) process.exit(0)
      for (const w of started.keys()) w.process.kill('SIGTERM')
    })
  }

  for (let i = 0; i < options.count && !stopping; i++) await fork()
}
