import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

const CLI = join(import.meta.dirname, '../../../packages/server/src/cli.ts')

/** The server's command line running in a child process. */
export interface ServerProcess {
  /** Where its (first) server listens. */
  readonly url: string
  readonly pid: number
  /** Everything it printed so far. */
  stdout(): string
  stderr(): string
  /** Resolves once `pattern` has been printed (counting what was printed before). */
  printed(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  /** Sends `signal` (SIGKILL by default) and resolves with the exit code once it exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  readonly exited: Promise<number | null>
}

/**
 * Runs `weft-server` with `args` (e.g. `--postgres URL --port 0`) and `env` over this process's
 * environment, and resolves once it listens.
 */
export async function startServerProcess(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CLI, '--log-level', 'silent', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  let out = ''
  let err = ''
  const waiters = new Set<() => void>()
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c
    for (const w of [...waiters]) w()
  })
  child.stderr!.setEncoding('utf8').on('data', (c: string) => void (err += c))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let done = false
  // Marked done before the waiters look, so one waiting for a line the process never printed fails at once.
  void exited.then(() => {
    done = true
    for (const w of [...waiters]) w()
  })
  const printed = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`not printed: ${pattern}\n${out}\n${err}`)), timeoutMs)
      const finish = (e?: Error, m?: RegExpExecArray) => {
        clearTimeout(timer)
        waiters.delete(check)
        if (m) resolve(m)
        else reject(e)
      }
      const check = () => {
        const m = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(out)
        if (m) return finish(undefined, m)
        if (done) finish(new Error(`exited before printing ${pattern}: ${err}`))
      }
      waiters.add(check)
      check()
    })
  const url = (await printed(/listening on (http:\/\/\S+)/))[1]!
  return {
    url,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    printed,
    exited,
    stop: async (signal = 'SIGKILL') => {
      if (!done) child.kill(signal)
      return exited
    },
  }
}
