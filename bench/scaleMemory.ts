/**
 * Relay memory per connected client, in a relay process started for it: bare WebSockets to its
 * echo server first, kept open, then signed-in subscribed clients, so neither measurement reuses
 * memory the other freed. Each kind is opened in two equal steps and the figure is the second
 * step's growth: the first step also holds what the process grows once (its first sign-ins grow
 * V8's young generation by some MiB that stay resident). Measured after full garbage collections.
 */
import type { SigningKeyPair } from '@weft/core'
import { WebSocket } from 'ws'
import { startRelays, type BenchDatabase, type ProcessMemory } from './scaleCluster.ts'
import { inParallel, Subscriber } from './scaleClients.ts'

const STEP = 500
const WIDTH = 32

/** Bytes per socket of each step: resident, and JS heap plus buffers. */
export interface RelayMemory {
  readonly perClient: number
  readonly perBare: number
  readonly firstClients: number
  readonly firstBare: number
  readonly heapPerClient: number
  readonly heapPerBare: number
  readonly step: number
}

/** `devices[i]` is a member of `tenant`; client k signs in as `devices[k % devices.length]`. */
export async function relayMemoryPerClient(
  db: BenchDatabase,
  tenant: string,
  devices: readonly SigningKeyPair[],
): Promise<RelayMemory> {
  const [relay] = await startRelays(db, 1, 'mem')
  const open: { close(): void }[] = []
  try {
    const mems: ProcessMemory[] = [await relay!.mem()]
    for (const kind of ['bare', 'bare', 'client', 'client'] as const) {
      const base = open.length
      open.push(
        ...(await inParallel<number, { close(): void }>(
          Array.from({ length: STEP }, (_, i) => base + i),
          WIDTH,
          (k) =>
            kind === 'bare'
              ? openBare(relay!.echo)
              : Subscriber.open(relay!.url, tenant, devices[k % devices.length]!, `mem-${k % devices.length}`),
        )),
      )
      mems.push(await relay!.mem())
    }
    const step = (i: number, f: (m: ProcessMemory) => number) => (f(mems[i + 1]!) - f(mems[i]!)) / STEP
    const rss = (m: ProcessMemory) => m.rss
    const heap = (m: ProcessMemory) => m.heap + m.external
    return {
      perBare: step(1, rss),
      perClient: step(3, rss),
      firstBare: step(0, rss),
      firstClients: step(2, rss),
      heapPerBare: step(1, heap),
      heapPerClient: step(3, heap),
      step: STEP,
    }
  } finally {
    for (const s of open) s.close()
    await relay!.stop()
  }
}

export async function openBare(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url)
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return ws
}
