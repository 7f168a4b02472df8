import {
  incrementalSync,
  MemoryStoreFactory,
  MultiTenantSyncOrchestrator,
  TenantFactory,
  TEST_KDF,
  type Database,
  type SyncState,
  type Tenant,
} from '@weft/core'
import { fmtMs, fmtRatio, median, progress, settle, timeMs, type Figure } from './report.ts'

const RELATIONSHIPS = 50
const DBS = ['a', 'b', 'c'] as const
const BATCH = 50
const IDLE_BATCHES = 9
const NEW_ENTRIES = 1_000
const DOCS = 100 // 1,000 new entries = 100 documents x (create + 9 changes)
const RUNS = 3
const IDLE_TARGET = 3
const BUSY_TARGET = 1.5

interface Setup {
  readonly factory: TenantFactory
  readonly hub: Tenant
  readonly partners: Tenant[]
  /** Every sending store of the relationships: 50 x 3 hub databases. */
  readonly sources: Database[]
  readonly orchestrator: MultiTenantSyncOrchestrator
}

/**
 * One hub tenant with 50 relationships (one per partner tenant), each over 3 databases of its own
 * (`r<i>-a` → the partner's `a`, ...), pushing. Plain partner trust, no grants. Every database
 * starts with one document, synced once, so the cursors are warm.
 */
async function setup(options: { grants: boolean }): Promise<Setup> {
  const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
  const hub = await factory.createTenant({ tenantId: 'bench-hub', password: 'bench' })
  await hub.keyBag.generateKey('k')
  const orchestrator = new MultiTenantSyncOrchestrator({ concurrency: 4 })
  const partners: Tenant[] = []
  const sources: Database[] = []
  for (let i = 0; i < RELATIONSHIPS; i++) {
    const partner = await factory.createTenant({ tenantId: `bench-partner-${i}`, password: 'bench' })
    const links = DBS.map((d) => ({ local: `r${i}-${d}`, remote: d }))
    for (const l of links) {
      const db = await hub.openDB(l.local, { keyId: 'k' })
      await db.createDocument({ data: { i, db: l.remote } })
      sources.push(db)
    }
    let grantId: string | undefined
    if (options.grants) {
      const offer = await hub.sharing.share({
        partner: partner.publicProfile(),
        databases: links.map((l) => l.local),
        keys: ['k'],
      })
      await partner.sharing.accept(offer, { databases: Object.fromEntries(links.map((l) => [l.local, l.remote])) })
      grantId = offer.grant.id
    } else {
      await partner.addPartner(hub.publicProfile(), { dbs: links.map((l) => ({ local: l.remote, remote: l.local })) })
      await partner.acceptSharedKey(hub.shareKey('k', partner.publicProfile()))
    }
    await orchestrator.addRelationship(`rel-${i}`, hub, partner, links, {
      direction: 'push',
      ...(grantId ? { grantId } : {}),
    })
    partners.push(partner)
  }
  const first = await orchestrator.syncAll()
  if (first.failed.length || first.sent !== RELATIONSHIPS * DBS.length)
    throw new Error(`orchestrator bench: warm-up round failed (${first.failed[0]?.error.message})`)
  return { factory, hub, partners, sources, orchestrator }
}

/**
 * Milliseconds per idle `syncAll()` and per as many bare `head()` reads on the same stores. Both
 * are timed in batches of {@link BATCH} (a single idle round is a few tens of microseconds, close
 * to the timer's resolution), batches interleaved, median over {@link IDLE_BATCHES}.
 */
async function idleFigures(s: Setup): Promise<{ round: number; heads: number }> {
  const heads = async () => {
    for (const db of s.sources) await db.getStore().head()
  }
  const rounds = async () => {
    for (let i = 0; i < BATCH; i++) {
      const r = await s.orchestrator.syncAll()
      if (r.sent !== 0 || r.failed.length) throw new Error('orchestrator bench: the idle round moved data or failed')
    }
  }
  const reads = async () => {
    for (let i = 0; i < BATCH; i++) await heads()
  }
  await rounds()
  await reads()
  const roundMs: number[] = []
  const readMs: number[] = []
  for (let b = 0; b < IDLE_BATCHES; b++) {
    roundMs.push((await timeMs(rounds)) / BATCH)
    readMs.push((await timeMs(reads)) / BATCH)
  }
  return { round: median(roundMs), heads: median(readMs) }
}

function fmtUs(ms: number): string {
  return `${Math.round(ms * 1000).toLocaleString('en-US')} µs`
}

async function writeEntries(db: Database, run: number): Promise<void> {
  for (let d = 0; d < DOCS; d++) {
    const doc = await db.createDocument({ data: { run, d, n: 0 } })
    for (let c = 1; c < NEW_ENTRIES / DOCS; c++) await db.changeDoc(doc, (draft) => void (draft.getData().n = c))
  }
}

/**
 * Idle orchestrator round (50 relationships x 3 databases, nothing new) against the same number of
 * bare store `head()` reads; and a round in which one database has 1,000 new entries against a
 * bare `incrementalSync` of 1,000 entries between two databases of the same kind.
 */
export async function benchOrchestrator(): Promise<Figure[]> {
  progress(`orchestrator bench: ${RELATIONSHIPS} relationships x ${DBS.length} databases`)
  const plain = await setup({ grants: false })
  const idle = await idleFigures(plain)
  progress(`idle round ${fmtUs(idle.round)}, ${plain.sources.length} head() reads ${fmtUs(idle.heads)}`)

  // One database with 1,000 new entries; the reference copies 1,000 entries hub → a like partner database.
  const refSource = await plain.hub.openDB('reference', { keyId: 'k' })
  const refPartner = await plain.factory.createTenant({ tenantId: 'bench-reference', password: 'bench' })
  await refPartner.addPartner(plain.hub.publicProfile(), { dbs: [{ local: 'a', remote: 'reference' }] })
  await refPartner.acceptSharedKey(plain.hub.shareKey('k', refPartner.publicProfile()))
  const refTarget = await refPartner.openDB('a')
  let refState: SyncState | undefined
  const busy: number[] = []
  const bare: number[] = []
  for (let run = 0; run < RUNS; run++) {
    await writeEntries(plain.sources[0]!, run)
    await writeEntries(refSource, run)
    await settle()
    busy.push(
      await timeMs(async () => {
        const r = await plain.orchestrator.syncAll()
        if (r.sent !== NEW_ENTRIES)
          throw new Error(`orchestrator bench: expected ${NEW_ENTRIES} entries, sent ${r.sent}`)
      }),
    )
    await settle()
    bare.push(
      await timeMs(async () => {
        refState = await incrementalSync(refSource, refTarget, refState)
        if (refState.lastSent !== NEW_ENTRIES)
          throw new Error(`orchestrator bench: reference sent ${refState.lastSent}`)
      }),
    )
    progress(`busy run ${run + 1}/${RUNS}: round ${fmtMs(busy[run]!)}, bare incrementalSync ${fmtMs(bare[run]!)}`)
  }
  await plain.orchestrator.stop()
  await plain.factory.close()

  const granted = await setup({ grants: true })
  const grantedIdle = await idleFigures(granted)
  await granted.orchestrator.stop()
  await granted.factory.close()
  progress(`idle round under grants ${fmtUs(grantedIdle.round)}, head() reads ${fmtUs(grantedIdle.heads)}`)

  const idleRatio = idle.round / idle.heads
  const busyRound = median(busy)
  const busyBare = median(bare)
  return [
    {
      name: `orchestrator idle round (${RELATIONSHIPS} relationships x ${DBS.length} dbs)`,
      value: fmtUs(idle.round),
      reference: `${fmtUs(idle.heads)} for ${plain.sources.length} store head() reads`,
      ratio: idleRatio,
      target: `<= ${IDLE_TARGET}x`,
      met: idleRatio <= IDLE_TARGET,
      notes: [
        `syncAll() with nothing new: one head() per relationship database, compared with its saved cursor; timed in batches of ${BATCH} rounds, median of ${IDLE_BATCHES} batches (concurrency 4)`,
        `the same round under grants (the issuer checks every round: expiry, revocation, conditions): ${fmtUs(grantedIdle.round)}, ${fmtRatio(grantedIdle.round / grantedIdle.heads)} its head() reference`,
      ],
    },
    {
      name: `orchestrator round, one db with ${NEW_ENTRIES.toLocaleString('en-US')} new entries`,
      value: fmtMs(busyRound),
      reference: `${fmtMs(busyBare)} bare incrementalSync`,
      ratio: busyRound / busyBare,
      target: `<= ${BUSY_TARGET}x`,
      met: busyRound / busyBare <= BUSY_TARGET,
      notes: [
        `${NEW_ENTRIES.toLocaleString('en-US')} entries (${DOCS} documents x ${NEW_ENTRIES / DOCS}) in one of the ${plain.sources.length} databases, the others idle; the target verifies and materialises them`,
        `median of ${RUNS}; round runs ${busy.map(fmtMs).join(', ')}; bare runs ${bare.map(fmtMs).join(', ')}`,
      ],
    },
  ]
}
