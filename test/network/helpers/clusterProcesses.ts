import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('./clusterServerMain.ts', import.meta.url))

/** A port free now (the OS picked it; the process given it binds it shortly after). */
async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise((resolve) => s.close(resolve))
  return port
}

/** Relay processes of one cluster, each a Node process of its own over one PostgreSQL database. */
export interface ClusterProcesses {
  /** Each process's base URL. */
  readonly urls: string[]
  /** What the processes wrote to stderr (their failure logs), for assertion messages. */
  readonly stderr: () => string
  stop(): Promise<void>
}

/** Starts `n` relay processes over `pgUrl`; every one accepts sign-ins made for any of them. */
export async function startCluster(
  n: number,
  options: {
    pgUrl: string
    adminKey: string
    maxEntriesPerTenant?: number
    /** The storage's isolation model (default `shared`), and under `hybrid` the model new tenants get. */
    isolation?: 'database' | 'schema' | 'shared' | 'hybrid'
    defaultModel?: 'database' | 'schema' | 'shared'
  },
): Promise<ClusterProcesses> {
  const ports = await Promise.all(Array.from({ length: n }, freePort))
  const publicUrls = ports.map((p) => `http://127.0.0.1:${p}`)
  let stderr = ''
  const children: ChildProcess[] = []
  const urls = await Promise.all(
    ports.map((port) => {
      const config = { ...options, maxEntriesPerTenant: options.maxEntriesPerTenant ?? 1_000_000, port, publicUrls }
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, JSON.stringify(config)], {
        stdio: ['pipe', 'pipe', 'pipe'],
      })
      children.push(child)
      child.stderr!.setEncoding('utf8').on('data', (c: string) => void (stderr += c))
      return new Promise<string>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout! })
        lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url))
        child.once('exit', (code) => reject(new Error(`a cluster process exited (${code}): ${stderr}`)))
      })
    }),
  )
  return {
    urls,
    stderr: () => stderr,
    stop: async () => {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null) return resolve()
              c.once('exit', () => resolve())
              c.stdin!.end()
            }),
        ),
      )
    },
  }
}
