// Incremental sync with saved state: `incrementalSync` returns a plain state (a store cursor and
// counters) that the caller saves, here as JSON, and passes back next time. Run, add documents,
// run again: the second run sends only the new entries, and a run with nothing new sends none.
import { TenantFactory, incrementalSync, initialSyncState, type SyncState } from '@weft/core'
import { count, entries } from './helpers/format.ts'
import { readAll } from './helpers/readAll.ts'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

type Item = { sku: string; stock: number }

export interface IncrementalSyncResult {
  /** `lastSent` of each run: first, after adding documents, with nothing new. */
  readonly sent: [number, number, number]
  /** Entries the source holds before run 1 and that it added between runs 1 and 2. */
  readonly sourceEntriesAtFirstRun: number
  readonly entriesAddedBetweenRuns: number
  /** The state as saved after each run (JSON text). */
  readonly savedStates: string[]
  readonly finalState: SyncState
  readonly sourceDocs: Record<string, Item>
  readonly targetDocs: Record<string, Item>
}

export async function run(options: ExampleOptions = {}): Promise<IncrementalSyncResult> {
  const log = options.log ?? (() => {})
  log('Weft example: incremental sync with saved state')
  log('')
  const factory = new TenantFactory({ kdf: options.kdf })
  const warehouse = await factory.createTenant({ tenantId: 'warehouse', password: 'warehouse password' })
  const shop = await factory.createTenant({ tenantId: 'shop', password: 'shop password' })
  await shop.addPartner(warehouse.publicProfile(), { dbs: ['inventory'] })
  await warehouse.keyBag.generateKey('inventory-key')
  await shop.acceptSharedKey(warehouse.shareKey('inventory-key', shop.publicProfile()))
  const source = await warehouse.openDB('inventory', { keyId: 'inventory-key' })
  const target = await shop.openDB('inventory')

  const addItem = async (sku: string, stock: number): Promise<void> => {
    const doc = await source.createDocument<Item>({ data: { sku, stock: 0 } })
    await source.changeDoc<Item>(doc, (d) => {
      d.getData().stock = stock
    })
  }
  // The saved state would live in a file or a database row; here, a string.
  let saved = JSON.stringify(initialSyncState())
  const savedStates: string[] = []
  const runOnce = async (label: string): Promise<number> => {
    const state = await incrementalSync(source, target, JSON.parse(saved) as SyncState)
    saved = JSON.stringify(state)
    savedStates.push(saved)
    log(`${label}: ${entries(state.lastSent)} sent (${state.totalSent} in total). Saved state: ${saved}`)
    return state.lastSent
  }

  for (const [sku, stock] of [
    ['CHAIR-01', 40],
    ['DESK-02', 12],
    ['LAMP-03', 75],
  ] as const)
    await addItem(sku, stock)
  const sourceEntriesAtFirstRun = (await source.getStore().head()).count
  log(`${warehouse.id} has 3 items (${entries(sourceEntriesAtFirstRun)}).`)
  const first = await runOnce('Run 1')

  for (const [sku, stock] of [
    ['SOFA-04', 3],
    ['RUG-05', 9],
  ] as const)
    await addItem(sku, stock)
  const entriesAddedBetweenRuns = (await source.getStore().head()).count - sourceEntriesAtFirstRun
  log(`${warehouse.id} adds 2 items (${entries(entriesAddedBetweenRuns)}).`)
  const second = await runOnce('Run 2')
  const third = await runOnce('Run 3 (nothing new)')

  const sourceDocs = await readAll<Item>(source)
  const targetDocs = await readAll<Item>(target)
  const stock = Object.values(targetDocs).map((i) => `${i.sku}=${i.stock}`)
  log(`${shop.id} now reads ${count(stock.length, 'item')}: ${stock.join(', ')}`)

  await warehouse.close()
  await shop.close()
  await factory.close()
  return {
    sent: [first, second, third],
    sourceEntriesAtFirstRun,
    entriesAddedBetweenRuns,
    savedStates,
    finalState: JSON.parse(saved) as SyncState,
    sourceDocs,
    targetDocs,
  }
}

runMain(import.meta, run)
