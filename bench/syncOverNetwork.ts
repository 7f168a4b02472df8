/**
 * Like for like over the network: the same 1,000 documents x 10 changes from one client to another
 * through a relay on loopback, Weft's (`WeftServer`, in memory) beside automerge-repo's own
 * WebSocket sync server (`NodeWSServerAdapter`, in memory), each server in its own process and both
 * clients in one other process, in the same run. Both clocks run from the sender's first request
 * until the receiver holds every document with every change: the sender uploads everything to the
 * server, then the receiver downloads it. Weft's receiver verifies, decrypts and materialises every
 * entry (they reach it as fresh bytes, so none counts as signed in its process).
 *
 * Every timed run is a fresh client process and a fresh server process, after a 100-document
 * warm-up through the same server, alternating the two systems (see `benchSync` for why).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface, type Interface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Repo, type PeerId } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { generateSigningKeyPair, MemoryStoreFactory, ready, TenantFactory, TEST_KDF, type Database } from '@weft/core'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { runInChild } from './runInChild.ts'
import { fmtMs, measure, median, progress, settle, type Figure, type Timing } from './report.ts'
import { CHANGES, checkAndShutDown, complete, DOCS, edit, senderRepo, whenAllArrived } from './syncVsAutomergeRepo.ts'
import { DeviceStoreFactory } from '../test/network/helpers/devices.ts'

const RUNS = 3
const WARMUP_DOCS = 100
const TARGET = 0.5
const CHILD_FLAG = '--bench-network-sync-child'

type System = 'weft' | 'automerge-repo'

/** One timed run: the whole, and the sender's upload part of it. */
interface NetworkTiming extends Timing {
  readonly uploadMs: number
}

export async function benchSyncOverNetwork(): Promise<Figure> {
  const weft: NetworkTiming[] = []
  const am: NetworkTiming[] = []
  for (let run = 1; run <= RUNS; run++) {
    weft.push(await inChild('weft'))
    am.push(await inChild('automerge-repo'))
    progress(`network sync run ${run}/${RUNS}: weft ${fmtMs(weft.at(-1)!.ms)}, automerge-repo ${fmtMs(am.at(-1)!.ms)}`)
  }
  const w = median(weft.map((t) => t.ms))
  const a = median(am.map((t) => t.ms))
  const entries = DOCS * (CHANGES + 1)
  return {
    name: `2b. sync ${DOCS.toLocaleString('en-US')} docs x ${CHANGES} changes, client → relay → client on loopback`,
    value: fmtMs(w),
    reference: `${fmtMs(a)} automerge-repo`,
    ratio: w / a,
    target: `<= ${TARGET.toFixed(2)}`,
    met: w / a <= TARGET,
    notes: [
      `weft: device A pushChangesTo(its RemoteChangeStore), then device B (same tenant) pullChangesFrom(its RemoteChangeStore): ${entries.toLocaleString('en-US')} entries uploaded, then downloaded, verified, decrypted and materialised; WeftServer in memory in its own process`,
      `automerge-repo 2 with @automerge/automerge-repo-network-websocket: the sender connects and its documents sync up until the server holds them all at the sender's heads, then the receiver connects and the server announces the run's documents to it (sharePolicy) until it holds the sender's heads; the server (NodeWSServerAdapter, no storage) in its own process`,
      `upload part, median: weft ${fmtMs(median(weft.map((t) => t.uploadMs)))}, automerge-repo ${fmtMs(median(am.map((t) => t.uploadMs)))}`,
      `median of ${RUNS}, each a fresh client process and server process; weft runs ${weft.map((t) => fmtMs(t.ms)).join(', ')}; automerge-repo runs ${am.map((t) => fmtMs(t.ms)).join(', ')}`,
      `client process CPU time (all threads), median: weft ${fmtMs(median(weft.map((t) => t.cpuMs)))}, automerge-repo ${fmtMs(median(am.map((t) => t.cpuMs)))}`,
    ],
  }
}

/** Runs one warmed-up, timed sync of `system` in a fresh client process. */
function inChild(system: System): Promise<NetworkTiming> {
  return runInChild<NetworkTiming>(fileURLToPath(import.meta.url), [CHILD_FLAG, system], `${system} network sync child`)
}

/** A server in its own process, its first stdout line parsed, and its later lines to read. */
async function startServer(script: string): Promise<{ url: string; lines: Interface; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout! })
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it listened`)))
  })
  return { url: (JSON.parse(first) as { url: string }).url, lines, child }
}

async function childMain(system: System): Promise<void> {
  await ready()
  const timing = system === 'weft' ? await weftRuns() : await automergeRepoRuns()
  process.send!(timing, () => process.exit(0))
}

// ---- Weft -------------------------------------------------------------------------------------

async function weftRuns(): Promise<NetworkTiming> {
  const server = await startServer('./networkServer.ts')
  try {
    await weftSyncOnce(server.url, 'warmup', WARMUP_DOCS)
    await settle()
    return await weftSyncOnce(server.url, 'run', DOCS)
  } finally {
    server.child.kill()
  }
}

/** Two devices of one tenant on the server at `url`; A writes `docs` documents, then the timed sync. */
async function weftSyncOnce(url: string, tag: string, docs: number): Promise<NetworkTiming> {
  const tenantId = `bench-net-sync-${tag}`
  const records = new MemoryStoreFactory()
  const first = await new TenantFactory({ storeFactory: records, kdf: TEST_KDF }).createTenant({
    tenantId,
    password: 'bench',
  })
  const second = await new TenantFactory({ storeFactory: new DeviceStoreFactory(records), kdf: TEST_KDF }).openTenant(
    tenantId,
    { password: 'bench' },
  )
  const admin = generateSigningKeyPair()
  const [keyA, keyB] = [generateSigningKeyPair(), generateSigningKeyPair()]
  await registerMembers({
    url,
    tenant: tenantId,
    admin,
    seq: 1,
    add: [first.signingKey, keyA.publicKey, keyB.publicKey],
  })
  const remote = (key: typeof keyA) =>
    new RemoteChangeStore({ connection: new ServerConnection({ url, tenant: tenantId, key }), db: 'orders' })
  const [remoteA, remoteB] = [remote(keyA), remote(keyB)]

  const source = await first.openDB('orders')
  for (let i = 0; i < docs; i++) {
    const doc = await source.createDocument()
    for (let j = 0; j < CHANGES; j++) await source.changeDoc(doc, (draft) => edit(draft.getData(), j))
  }
  const target = await second.openDB('orders')
  await settle()

  let uploadMs = 0
  let report: Awaited<ReturnType<Database['pullChangesFrom']>> | undefined
  const timing = await measure(async () => {
    const start = performance.now()
    await source.pushChangesTo(remoteA)
    uploadMs = performance.now() - start
    report = await target.pullChangesFrom(remoteB)
  })

  const expected = docs * (CHANGES + 1)
  const m = report!.materialised
  if (m.applied.length !== expected || m.rejected.length || m.locked.length || m.untrusted.length) {
    throw new Error(
      `weft network sync incomplete: applied ${m.applied.length} of ${expected}, rejected ${m.rejected.length}, locked ${m.locked.length}, untrusted ${m.untrusted.length}`,
    )
  }
  const ids = await target.getAllDocumentIds()
  if (ids.length !== docs) throw new Error(`weft receiver has ${ids.length} documents, expected ${docs}`)
  for (const id of ids)
    if (!complete((await target.getDocument(id))?.getData())) throw new Error(`weft document ${id} is missing changes`)
  await first.close()
  await second.close()
  return { ...timing, uploadMs }
}

// ---- automerge-repo ---------------------------------------------------------------------------

async function automergeRepoRuns(): Promise<NetworkTiming> {
  const server = await startServer('./automergeRepoServer.ts')
  const replies = server.lines[Symbol.asyncIterator]()
  const ask = async (expected: ReadonlyMap<string, string>): Promise<() => Promise<void>> => {
    server.child.stdin!.write(`expect ${JSON.stringify(Object.fromEntries(expected))}\n`)
    if ((await replies.next()).value !== 'expecting')
      throw new Error('automerge-repo server did not take the expectation')
    return async () => {
      if ((await replies.next()).value !== 'have-all') throw new Error('automerge-repo server did not report have-all')
    }
  }
  try {
    await automergeRepoSyncOnce(server.url, 'warmup', WARMUP_DOCS, ask)
    await settle()
    return await automergeRepoSyncOnce(server.url, 'run', DOCS, ask)
  } finally {
    server.child.kill()
  }
}

async function automergeRepoSyncOnce(
  url: string,
  tag: string,
  docs: number,
  ask: (expected: ReadonlyMap<string, string>) => Promise<() => Promise<void>>,
): Promise<NetworkTiming> {
  const { sender, expected } = await senderRepo(docs, tag)
  const serverHasAll = await ask(expected)

  const receiver = new Repo({ peerId: `receiver-${tag}` as PeerId })
  let uploadMs = 0
  const timing = await measure(async () => {
    const start = performance.now()
    sender.networkSubsystem.addNetworkAdapter(new WebSocketClientAdapter(url))
    await serverHasAll()
    uploadMs = performance.now() - start
    const arrived = whenAllArrived(receiver, expected)
    // The server announces what it holds to a peer that connects: no find per document.
    receiver.networkSubsystem.addNetworkAdapter(new WebSocketClientAdapter(url))
    await arrived
  })
  await checkAndShutDown(sender, receiver, expected)
  return { ...timing, uploadMs }
}

// Entry point of a child started by inChild (this file run directly with CHILD_FLAG).
if (process.argv[2] === CHILD_FLAG) {
  childMain(process.argv[3] as System).catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
