/**
 * The IndexedDB append benchmark, run inside a page by bench/idbStore.ts: entries/s appended
 * through `IdbChangeStore` in batches of 1,000 pre-made entries, beside raw IndexedDB puts of the
 * same bytes (one readwrite transaction per batch, same durability), measured in the same page.
 */
import { ready, type EntryEnvelope } from '@weft/core/backend'
import { IdbStoreFactory } from '@weft/store-idb'
import { deleteDB } from 'idb'
// The entry maker of the core's test kit, without the suite (which needs vitest).
import { EntryFactory, envelope } from '@weft/core/testing/fixtures'

export interface IdbBenchOptions {
  readonly batches: number
  readonly batchSize: number
  readonly payloadBytes: number
  readonly runs: number
  readonly durability: 'strict' | 'relaxed'
}

export interface IdbBenchResult {
  /** Entries/s through `IdbChangeStore`, per run (entries made in this page: no signature re-check). */
  readonly store: number[]
  /** The same, for entries each of its own document (the most document records per batch), per run. */
  readonly storeManyDocs: number[]
  /** Puts/s of the same bytes with plain IndexedDB, per run. */
  readonly raw: number[]
  /** Entries/s through `IdbChangeStore` for entries as received from elsewhere (signature verified), one run. */
  readonly received: number
  readonly entryBytes: number
  /** Documents the entries of `store` are spread over. */
  readonly docs: number
}

export interface IdbBenchApi {
  run(options: IdbBenchOptions): Promise<IdbBenchResult>
}

declare global {
  var weftIdbBench: IdbBenchApi | undefined
}

let databases = 0
/** Documents the main run's entries are spread over (about 60 entries of each per batch). */
const DOCS = 16

async function throughStore(
  batches: readonly EntryEnvelope[][],
  durability: IdbBenchOptions['durability'],
): Promise<number> {
  const name = `bench-store-${++databases}`
  const factory = new IdbStoreFactory({ name, durability })
  try {
    const store = await factory.openChangeStore('bench/db')
    const started = performance.now()
    for (const batch of batches) {
      const r = await store.appendMany(batch)
      if (r.added.length !== batch.length) throw new Error(`appended ${r.added.length} of ${batch.length}`)
    }
    return (batches.length * batches[0]!.length * 1000) / (performance.now() - started)
  } finally {
    await factory.close()
    await deleteDB(name)
  }
}

async function rawPuts(
  batches: readonly EntryEnvelope[][],
  durability: IdbBenchOptions['durability'],
): Promise<number> {
  const name = `bench-raw-${++databases}`
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open(name, 1)
    open.onupgradeneeded = () => open.result.createObjectStore('entries')
    open.onsuccess = () => resolve(open.result)
    open.onerror = () => reject(open.error)
  })
  try {
    const started = performance.now()
    for (const batch of batches) {
      const tx = db.transaction('entries', 'readwrite', { durability })
      const entries = tx.objectStore('entries')
      for (const e of batch) entries.put(e.bytes, e.hash)
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve()
        tx.onabort = () => reject(tx.error)
      })
    }
    return (batches.length * batches[0]!.length * 1000) / (performance.now() - started)
  } finally {
    db.close()
    await deleteDB(name)
  }
}

const api: IdbBenchApi = {
  async run(options) {
    await ready()
    const make = (fx: EntryFactory) =>
      Array.from({ length: options.batches }, (_, b) =>
        Array.from({ length: options.batchSize }, (_, i) =>
          fx.entry(b * options.batchSize + i, [], options.payloadBytes),
        ),
      )
    const made = make(new EntryFactory(DOCS))
    const manyDocs = make(new EntryFactory(options.batches * options.batchSize))
    // Warm up both paths (JIT, IndexedDB backing files) on one batch.
    await throughStore([made[0]!], options.durability)
    await rawPuts([made[0]!], options.durability)
    const store: number[] = []
    const storeManyDocs: number[] = []
    const raw: number[] = []
    for (let run = 0; run < options.runs; run++) {
      // Alternate which goes first, so neither always runs on a warmer disk cache.
      if (run % 2 === 0) {
        store.push(await throughStore(made, options.durability))
        raw.push(await rawPuts(made, options.durability))
      } else {
        raw.push(await rawPuts(made, options.durability))
        store.push(await throughStore(made, options.durability))
      }
      storeManyDocs.push(await throughStore(manyDocs, options.durability))
    }
    const received = await throughStore(
      made.map((batch) => batch.map(envelope)),
      options.durability,
    )
    return { store, storeManyDocs, raw, received, entryBytes: made[0]![0]!.bytes.length, docs: DOCS }
  },
}

globalThis.weftIdbBench = api
