// Child process of test/largePull.test.ts: copies every entry of one database on a Weft server
// (WEFT_URL, tenant WEFT_TENANT, member key WEFT_KEY as hex `public:private`) into a LevelDB store,
// with `maxBatchBytes` WEFT_BATCH_BYTES, and prints one JSON line: entries and bytes copied, the
// appends, and the peak growth of heap and array buffers over the baseline while it ran, sampled
// after two full GCs at every append (what the copy holds, not garbage not yet collected; see
// helpers/largeAttachment.ts). Run with --expose-gc.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ready, syncStores } from '@weft/core'
import { type EntryEnvelope } from '@weft/core/backend'
import { RemoteChangeStore, ServerConnection } from '@weft/client'
import { LevelStoreFactory } from '@weft/store-level'

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined)
const held = (): number => {
  gc()
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

async function main(): Promise<void> {
  await ready()
  const [publicKey, privateKey] = process.env.WEFT_KEY!.split(':').map((h) => new Uint8Array(Buffer.from(h, 'hex')))
  const dir = await mkdtemp(join(tmpdir(), 'weft-large-pull-'))
  const factory = new LevelStoreFactory({ path: dir })
  try {
    const target = await factory.openChangeStore('pull/db')
    const remote = new RemoteChangeStore({
      connection: new ServerConnection({
        url: process.env.WEFT_URL!,
        tenant: process.env.WEFT_TENANT!,
        key: { publicKey: publicKey!, privateKey: privateKey! },
      }),
      db: 'db',
    })
    let appends = 0
    const base = held()
    let peak = base
    // Sampled as each batch arrives to be appended: the batch and the one read ahead are held then.
    const appendMany = target.appendMany.bind(target)
    target.appendMany = async (entries: Iterable<EntryEnvelope>) => {
      appends++
      peak = Math.max(peak, held())
      return appendMany(entries)
    }
    const copied = await syncStores(remote, target, { maxBatchBytes: Number(process.env.WEFT_BATCH_BYTES) })
    peak = Math.max(peak, held())
    console.log(
      JSON.stringify({
        entries: copied.added.length,
        bytes: copied.bytes,
        rejected: copied.rejected.length,
        appends,
        peakHeld: peak - base,
        stored: (await target.head()).count,
      }),
    )
    await remote.close()
  } finally {
    await factory.close()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
