import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** This package's folder: fixtures run from here so `tsx` and `@weft/*` resolve as in the tests. */
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url))

/** A running fixture script, its complete stdout lines as they arrive, and its exit. */
export interface FixtureProcess {
  readonly child: ChildProcess
  /** Complete lines so far (a line cut short by a kill is never included). */
  readonly lines: string[]
  /** Resolves with the first complete line for which `match` holds (rejects if the child exits first). */
  waitForLine(match: (line: string) => boolean): Promise<string>
  /** Resolves when the child has exited, with its code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
}

export interface FixtureOptions {
  /** A shell command prefix run before the script, e.g. `ulimit -f 256`. POSIX shells only. */
  readonly shellPrefix?: string
}

/** Runs `test/fixtures/<name>` with Node and tsx, with `args`. */
export function runFixture(name: string, args: readonly string[], options: FixtureOptions = {}): FixtureProcess {
  const script = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))
  const argv = ['--import', 'tsx', script, ...args]
  const child = options.shellPrefix
    ? spawn('sh', ['-c', `${options.shellPrefix} && exec "$0" "$@"`, process.execPath, ...argv], {
        cwd: PACKAGE_DIR,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, argv, { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const waiters = new Set<{ match: (l: string) => boolean; resolve: (l: string) => void }>()
  let partial = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    partial += chunk
    let nl: number
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl)
      partial = partial.slice(nl + 1)
      lines.push(line)
      for (const w of waiters) {
        if (!w.match(line)) continue
        waiters.delete(w)
        w.resolve(line)
      }
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => void (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    // 'close' fires after stdout has been read to the end, so `lines` is complete by then.
    child.on('close', (code, signal) => resolve({ code, signal, stderr }))
  })
  return {
    child,
    lines,
    exited,
    waitForLine(match) {
      const seen = lines.find(match)
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        waiters.add({ match, resolve })
        void exited.then(({ code, signal, stderr: err }) =>
          reject(
            new Error(
              `fixture ${name} exited (code ${code}, signal ${signal}) before the line it was waited for\n${err}`,
            ),
          ),
        )
      })
    },
  }
}
