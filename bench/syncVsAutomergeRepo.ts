import { fileURLToPath } from 'node:url'
import { MessageChannel } from 'node:worker_threads'
import * as A from '@automerge/automerge'
import { Repo, type DocHandle, type PeerId } from '@automerge/automerge-repo'
import {
  MemoryStoreFactory,
  ready,
  TenantFactory,
  TEST_KDF,
  type Database,
  type DocData,
  type Tenant,
} from '@weft/core'
import { MessagePortNetworkAdapter } from './MessagePortNetworkAdapter.ts'
import { runInChild } from './runInChild.ts'
import { fmtMs, measure, median, progress, settle, type Figure, type Timing } from './report.ts'

export const DOCS = 1_000
export const CHANGES = 10
const RUNS = 5
const WARMUP_DOCS = 100
/** Fresh processes timing Automerge's floor as the timed weft run meets it. */
const COLD_FLOOR_RUNS = 3
const TARGET = 0.3
const TIMEOUT_MS = 180_000
const STATUSES = ['pending', 'paid', 'shipped', 'delivered'] as const

/** The `j`th edit every document of the sync benches gets. */
export function edit(d: DocData, j: number): void {
  d.n = j
  d.status = STATUSES[j % STATUSES.length]
}

/** Each document ends with the last edit applied. */
export function complete(data: DocData | undefined): boolean {
  return data?.n === CHANGES - 1 && data.status === STATUSES[(CHANGES - 1) % STATUSES.length]
}

/**
 * In-process sync of 1,000 documents x 10 changes from one tenant's database into a partner
 * tenant's database (the receiver verifies every signature, decrypts and materialises), against
 * two automerge-repo Repos syncing the same documents over a Node MessageChannel. Both clocks run
 * from the start of sync until the receiver holds every document with every change.
 *
 * Every timed run happens in a fresh child process (after a 100-document warm-up there), one at a
 * time, alternating the two systems. Run in one process, each slowed the other by up to 3x: both
 * share the Automerge WebAssembly heap and the V8 heap, and automerge-repo never frees its
 * documents, so whichever ran second paid for the first one's garbage and memory growth.
 */
export async function benchSync(verifyPerSecond: number): Promise<Figure> {
  const weft: WeftTiming[] = []
  const am: Timing[] = []
  for (let run = 1; run <= RUNS; run++) {
    weft.push(await inChild('weft'))
    am.push(await inChild('automerge-repo'))
    progress(`sync run ${run}/${RUNS}: weft ${fmtMs(weft.at(-1)!.ms)}, automerge-repo ${fmtMs(am.at(-1)!.ms)}`)
  }
  const coldFloors: number[] = []
  for (let run = 1; run <= COLD_FLOOR_RUNS; run++) coldFloors.push((await inChild('floor')).ms)

  const w = median(weft.map((t) => t.ms))
  const a = median(am.map((t) => t.ms))
  const floor = median(weft.map((t) => t.floorMs))
  const heldFloor = median(weft.map((t) => t.heldFloorMs))
  const applyFloor = median(weft.map((t) => t.applyFloorMs))
  const coldFloor = median(coldFloors)
  const wCpu = median(weft.map((t) => t.cpuMs))
  const aCpu = median(am.map((t) => t.cpuMs))
  const wGc = median(weft.map((t) => t.gcMs))
  const aGc = median(am.map((t) => t.gcMs))
  const entries = DOCS * (CHANGES + 1)
  const verifyMs = (entries / verifyPerSecond) * 1000
  return {
    name: `2. sync ${DOCS.toLocaleString('en-US')} docs x ${CHANGES} changes, in process`,
    value: fmtMs(w),
    reference: `${fmtMs(a)} automerge-repo`,
    ratio: w / a,
    target: `<= ${TARGET.toFixed(2)}`,
    met: w / a <= TARGET,
    notes: [
      `weft: dbB.pullChangesFrom(dbA) across tenants (partner link + shared key), ${entries.toLocaleString('en-US')} entries (create + ${CHANGES} changes per doc) verified, decrypted, applied; ${((w * 1000) / entries).toFixed(0)} µs/entry`,
      `automerge-repo 2 over a MessageChannel (structured clone), ${DOCS.toLocaleString('en-US')} docs x (1 empty create + ${CHANGES} changes), until every receiver doc reached the sender's heads`,
      `median of ${RUNS}, each in a fresh process; weft runs ${weft.map((t) => fmtMs(t.ms)).join(', ')}; automerge-repo runs ${am.map((t) => fmtMs(t.ms)).join(', ')}`,
      `each weft run over the automerge-repo run after it (the two ran back to back, so a slow spell on the machine tends to hit both): ${weft.map((t, i) => (t.ms / am[i]!.ms).toFixed(2)).join(', ')}; median ${median(weft.map((t, i) => t.ms / am[i]!.ms)).toFixed(2)}`,
      `floor: Automerge alone applying the same ${entries.toLocaleString('en-US')} changes to fresh documents (one Automerge.load of its changes per document, no store, no cryptography), in the weft children after their timed run: ${fmtMs(floor)} = ${(floor / a).toFixed(2)}x automerge-repo's time, ${(floor / w).toFixed(2)} of weft's`,
      `the same floor measured while the sender's and the receiver's ${DOCS.toLocaleString('en-US')} documents are still in memory (as they are during the sync; the figure above is after the receiver closed): ${fmtMs(heldFloor)} = ${(heldFloor / a).toFixed(2)}x automerge-repo's time, ${(heldFloor / w).toFixed(2)} of weft's`,
      `the same floor where the timed weft run meets Automerge: in a fresh process, the first ${DOCS.toLocaleString('en-US')}-document load after a ${WARMUP_DOCS}-document one (Automerge's WebAssembly not yet optimised for it, as in the weft run; the floors above come after it), median of ${COLD_FLOOR_RUNS}: ${fmtMs(coldFloor)} = ${(coldFloor / a).toFixed(2)}x automerge-repo's time, ${(coldFloor / w).toFixed(2)} of weft's; runs ${coldFloors.map(fmtMs).join(', ')}`,
      `the same documents made by init + one applyChanges each (how the materialiser made a document it had not held before it loaded them whole), same processes: ${fmtMs(applyFloor)}, ${(applyFloor / floor).toFixed(2)}x the load`,
      `Ed25519 verification alone at this run's rate: ${fmtMs(verifyMs)} on one core = ${(verifyMs / a).toFixed(2)}x automerge-repo's time`,
      `process CPU time (all threads), median: weft ${fmtMs(wCpu)}, automerge-repo ${fmtMs(aCpu)}, ratio ${(wCpu / aCpu).toFixed(2)}`,
      `garbage-collection pauses in the timed run, median: weft ${fmtMs(wGc)} (${((100 * wGc) / w).toFixed(0)}% of its time), automerge-repo ${fmtMs(aGc)} (${((100 * aGc) / a).toFixed(0)}%)`,
    ],
  }
}

/** `floor`: Automerge alone, in a fresh process (see {@link automergeFloorMs}). */
type System = 'weft' | 'automerge-repo' | 'floor'
const CHILD_FLAG = '--bench-sync-child'

/** A Weft run, with the floor measured in the same process after it. */
interface WeftTiming extends Timing {
  /** Automerge alone applying the same changes (see {@link automergeFloorMs}). */
  readonly floorMs: number
  /** The same, measured before the receiver closed: with the sender's and the receiver's documents in memory, as during the sync. */
  readonly heldFloorMs: number
  /** The same documents made by `init` and one `applyChanges` each, as the Materialiser did before it loaded them whole. */
  readonly applyFloorMs: number
}

/** Runs one warmed-up, timed sync of `system` in a fresh process. */
function inChild(system: 'weft'): Promise<WeftTiming>
function inChild(system: 'automerge-repo' | 'floor'): Promise<Timing>
function inChild(system: System): Promise<Timing> {
  return runInChild<Timing>(fileURLToPath(import.meta.url), [CHILD_FLAG, system], `${system} sync child`, [
    '--expose-gc',
  ])
}

/**
 * Milliseconds Automerge alone takes to apply what the sync delivers: `docs` documents, each a
 * creating (empty) change and {@link CHANGES} edits made as the bench makes them, each document
 * made by one `Automerge.load` of its changes one after another (as the Materialiser makes a
 * document it has not held from a batch of its changes; `init` and one `applyChanges` take about
 * twice as long). No store, no cryptography, no network: what any receiver of these changes pays
 * at the least.
 */
function automergeFloorMs(docs: number, make: 'load' | 'apply' = 'load'): number {
  const all: Uint8Array[][] = []
  for (let i = 0; i < docs; i++) {
    let d = A.emptyChange(A.init<DocData>())
    for (let j = 0; j < CHANGES; j++) d = A.change(d, (x) => edit(x, j))
    all.push(A.getAllChanges(d))
    A.free(d)
  }
  const start = performance.now()
  const applied = all.map((changes) =>
    make === 'load' ? A.load<DocData>(Buffer.concat(changes)) : A.applyChanges(A.init<DocData>(), changes)[0],
  )
  const ms = performance.now() - start
  for (const d of applied) if (!complete(d)) throw new Error('the floor run lost changes')
  for (const d of applied) A.free(d)
  return ms
}

async function childMain(system: System): Promise<void> {
  await ready()
  let timing: Timing | WeftTiming
  if (system === 'weft') {
    const warm = await WeftPeers.create(WARMUP_DOCS)
    await warm.syncOnce(0)
    await warm.close()
    const peers = await WeftPeers.create(DOCS)
    let heldFloorMs = 0
    const run = await peers.syncOnce(1, async () => {
      await settle()
      automergeFloorMs(WARMUP_DOCS)
      heldFloorMs = automergeFloorMs(DOCS)
    })
    await settle()
    automergeFloorMs(WARMUP_DOCS, 'apply')
    const floorMs = automergeFloorMs(DOCS)
    timing = { ...run, floorMs, heldFloorMs, applyFloorMs: automergeFloorMs(DOCS, 'apply') } satisfies WeftTiming
  } else if (system === 'floor') {
    automergeFloorMs(WARMUP_DOCS)
    timing = { ms: automergeFloorMs(DOCS), cpuMs: 0, gcMs: 0 }
  } else {
    await automergeRepoSyncOnce(WARMUP_DOCS, 'warmup')
    await settle()
    timing = await automergeRepoSyncOnce(DOCS, 'run')
  }
  process.send!(timing, () => process.exit(0))
}

/** A supplier tenant with a populated database, and a fresh customer tenant per run. */
class WeftPeers {
  readonly #factory: TenantFactory
  readonly #supplier: Tenant
  readonly #source: Database
  readonly #docs: number

  private constructor(factory: TenantFactory, supplier: Tenant, source: Database, docs: number) {
    this.#factory = factory
    this.#supplier = supplier
    this.#source = source
    this.#docs = docs
  }

  static async create(docs: number): Promise<WeftPeers> {
    const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
    const supplier = await factory.createTenant({ tenantId: 'bench-supplier', password: 'bench' })
    await supplier.keyBag.generateKey('orders-key')
    const source = await supplier.openDB('orders')
    for (let i = 0; i < docs; i++) {
      const doc = await source.createDocument({ keyId: 'orders-key' })
      for (let j = 0; j < CHANGES; j++) await source.changeDoc(doc, (draft) => edit(draft.getData(), j))
    }
    return new WeftPeers(factory, supplier, source, docs)
  }

  /**
   * One timed pull into a new partner tenant. Checks the result untimed, then runs `whileHeld`
   * (untimed) while both databases still hold their documents, before the receiver closes.
   */
  async syncOnce(run: number, whileHeld?: () => Promise<void>): Promise<Timing> {
    const customer = await this.#factory.createTenant({ tenantId: `bench-customer-${run}`, password: 'bench' })
    await customer.addPartner(this.#supplier.publicProfile(), { dbs: ['orders'] })
    await customer.acceptSharedKey(this.#supplier.shareKey('orders-key', customer.publicProfile()))
    const target = await customer.openDB('orders')
    await settle()

    let report: Awaited<ReturnType<Database['pullChangesFrom']>> | undefined
    const timing = await measure(async () => {
      report = await target.pullChangesFrom(this.#source)
    })

    const expected = this.#docs * (CHANGES + 1)
    const m = report!.materialised
    if (
      report!.transferred !== expected ||
      m.applied.length !== expected ||
      m.rejected.length ||
      m.locked.length ||
      m.untrusted.length
    ) {
      throw new Error(
        `weft sync incomplete: transferred ${report!.transferred}, applied ${m.applied.length}, rejected ${m.rejected.length}, locked ${m.locked.length}, untrusted ${m.untrusted.length}`,
      )
    }
    const ids = await target.getAllDocumentIds()
    if (ids.length !== this.#docs) throw new Error(`weft receiver has ${ids.length} documents, expected ${this.#docs}`)
    for (const id of ids) {
      if (!complete((await target.getDocument(id))?.getData()))
        throw new Error(`weft document ${id} is missing changes`)
    }
    await whileHeld?.()
    await customer.close()
    return timing
  }

  async close(): Promise<void> {
    await this.#supplier.close()
    await this.#factory.close()
  }
}

/**
 * A repo holding `docs` documents of {@link CHANGES} changes each, and the heads each must reach
 * at a receiver, once the sender's change throttles (100 ms) lapsed so none fires mid-sync.
 */
export async function senderRepo(docs: number, tag: string): Promise<{ sender: Repo; expected: Map<string, string> }> {
  const sender = new Repo({ peerId: `sender-${tag}` as PeerId })
  const handles: DocHandle<DocData>[] = []
  for (let i = 0; i < docs; i++) {
    const h = sender.create<DocData>()
    for (let j = 0; j < CHANGES; j++) h.change((d) => edit(d, j))
    handles.push(h)
  }
  const expected = new Map(handles.map((h) => [h.documentId as string, headsKey(A.getHeads(h.doc()))]))
  await settle(250)
  return { sender, expected }
}

/** Checks (untimed) that every document reached the receiver whole, then shuts both repos down. */
export async function checkAndShutDown(
  sender: Repo,
  receiver: Repo,
  expected: ReadonlyMap<string, string>,
): Promise<void> {
  for (const id of expected.keys()) {
    const h = receiver.handles[id as keyof typeof receiver.handles] as DocHandle<DocData> | undefined
    if (!h?.isReady() || !complete(h.doc())) throw new Error(`automerge-repo document ${id} is missing changes`)
  }
  await sender.shutdown()
  await receiver.shutdown()
}

/** One timed automerge-repo sync between fresh repos. Checks the result untimed. */
async function automergeRepoSyncOnce(docs: number, tag: string): Promise<Timing> {
  const { sender, expected } = await senderRepo(docs, tag)

  const receiver = new Repo({ peerId: `receiver-${tag}` as PeerId })
  const { port1, port2 } = new MessageChannel()
  const timing = await measure(async () => {
    const arrived = whenAllArrived(receiver, expected)
    sender.networkSubsystem.addNetworkAdapter(new MessagePortNetworkAdapter(port1))
    receiver.networkSubsystem.addNetworkAdapter(new MessagePortNetworkAdapter(port2))
    await arrived
  })

  await checkAndShutDown(sender, receiver, expected)
  port1.close()
  port2.close()
  return timing
}

export function headsKey(heads: readonly string[]): string {
  return [...heads].sort().join(',')
}

/**
 * Resolves when every expected document in `repo` has the expected heads. New handles are picked
 * up every few milliseconds; after that each one is checked on its own `heads-changed` event, so
 * the last arrival is seen at once and the watcher adds next to no work.
 */
export function whenAllArrived(repo: Repo, expected: ReadonlyMap<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const remaining = new Set(expected.keys())
    const watched = new Set<string>()
    const finish = (err?: Error): void => {
      clearInterval(poll)
      clearTimeout(timeout)
      if (err) reject(err)
      else resolve()
    }
    const check = (id: string, doc: A.Doc<unknown>): void => {
      if (remaining.has(id) && headsKey(A.getHeads(doc)) === expected.get(id)) {
        remaining.delete(id)
        if (remaining.size === 0) finish()
      }
    }
    const scan = (): void => {
      for (const [id, handle] of Object.entries(repo.handles)) {
        if (watched.has(id) || !expected.has(id)) continue
        watched.add(id)
        handle.on('heads-changed', ({ doc }) => check(id, doc))
        if (handle.isReady()) check(id, handle.doc())
      }
    }
    const poll = setInterval(scan, 5)
    const timeout = setTimeout(
      () =>
        finish(new Error(`automerge-repo sync timed out: ${remaining.size} of ${expected.size} documents incomplete`)),
      TIMEOUT_MS,
    )
  })
}

// Entry point of a child started by inChild (this file run directly with CHILD_FLAG).
if (process.argv[2] === CHILD_FLAG) {
  childMain(process.argv[3] as System).catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
