import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('./serverMain.ts', import.meta.url))

/** A Weft server in a child process, so a test can attack it and still watch its memory and liveness. */
export interface ChildServer {
  readonly url: string
  readonly pid: number
  /** Resident memory of the server process now, in bytes (from /proc). */
  rss(): number
  /** True while the process has not exited. */
  alive(): boolean
  /** What the process wrote to stderr so far (its log). */
  stderr(): string
  kill(): Promise<void>
}

/**
 * Starts a server in a child process with a bounded heap (`heapMb`, default 256) and the given
 * server options (JSON-safe `WeftServerOptions`, plus `data` for a LevelDB folder; memory storage
 * otherwise). Resolves once it listens.
 */
export async function startChildServer(options: Record<string, unknown> = {}, heapMb = 256): Promise<ChildServer> {
  const child: ChildProcess = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, '--import', 'tsx', MAIN], {
    env: { ...process.env, WEFT_TEST_SERVER_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  let exited = false
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 30_000)
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /READY (\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}: ${err}`))
    })
  })
  return {
    url,
    pid: child.pid!,
    rss: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      return Number(m![1]) * 1024
    },
    alive: () => !exited,
    stderr: () => err,
    kill: async () => {
      if (!exited) child.kill('SIGKILL')
      await exit
    },
  }
}

/** Milliseconds `GET /v1/health` takes to answer 200, or Infinity when it fails. */
export async function healthLatency(url: string, timeoutMs = 5_000): Promise<number> {
  const t0 = performance.now()
  try {
    const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(timeoutMs) })
    await res.arrayBuffer()
    return res.ok ? performance.now() - t0 : Infinity
  } catch {
    return Infinity
  }
}
