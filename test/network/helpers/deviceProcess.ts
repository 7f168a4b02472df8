import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('./deviceMain.ts', import.meta.url))

/** A device in its own Node process (see deviceMain.ts): `call` runs one command there and returns its value. */
export class DeviceProcess {
  readonly #child: ChildProcess
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  #next = 0
  #stderr = ''
  readonly #exited: Promise<void>

  private constructor(child: ChildProcess) {
    this.#child = child
    child.stderr!.on('data', (d: Buffer) => (this.#stderr += d.toString()))
    this.#exited = new Promise((r) => child.once('exit', () => r()))
    void this.#exited.then(() => {
      for (const w of this.#waiting.values()) w.reject(new Error(`device process exited: ${this.#stderr}`))
      this.#waiting.clear()
    })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let m: { id: number; ok: boolean; value?: unknown; error?: { code: string; message: string } }
      try {
        m = JSON.parse(line) as typeof m
      } catch {
        return // a log line
      }
      const w = this.#waiting.get(m.id)
      if (!w) return
      this.#waiting.delete(m.id)
      if (m.ok) w.resolve(m.value)
      else w.reject(Object.assign(new Error(m.error!.message), { code: m.error!.code }))
    })
  }

  /** Starts a device process over the LevelDB folder `dir`, syncing with the server at `url`. */
  static start(options: { dir: string; url: string; remote?: boolean }): DeviceProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, WEFT_DIR: options.dir, WEFT_URL: options.url, WEFT_REMOTE: options.remote ? '1' : '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    return new DeviceProcess(child)
  }

  get pid(): number {
    return this.#child.pid!
  }

  call<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.#next
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.#child.stdin!.write(JSON.stringify({ id, cmd, ...args }) + '\n')
    })
  }

  /** Asks the process to close its stores and exit; kills it after `ms`. */
  async stop(ms = 10_000): Promise<void> {
    if (this.#child.exitCode !== null) return
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), ms)
    await this.call('exit').catch(() => undefined)
    await this.#exited
    clearTimeout(timer)
  }
}
