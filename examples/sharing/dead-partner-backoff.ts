// A dead partner fails with backoff while the others stay in sync. A distributor runs
// relationships to three retailers; one retailer's endpoint is down. On a simulated clock the
// orchestrator runs what is due every second: the two live retailers sync every round, the dead
// one is retried after 0.5 s, 1 s, 2 s, 4 s... (exponential, with jitter; here the jitter is
// fixed), and its status reports the last error.
import { MultiTenantSyncOrchestrator, TenantFactory, type SyncPeer, type TenantId } from '@weft/core'
import { runMain, type ExampleOptions } from '../helpers/runMain.ts'
import { simulatedClock } from './helpers/clock.ts'

export interface DeadPartnerBackoffResult {
  /** Seconds into the run at which the dead partner was tried. */
  readonly deadTriedAt: number[]
  /** Entries each live retailer holds at the end, and the distributor's count. */
  readonly liveEntries: number[]
  readonly distributorEntries: number
  readonly dead: { state: string; consecutiveFailures: number; lastError: string | null }
  readonly recoveredAfterRestart: boolean
}

export async function run(options: ExampleOptions = {}): Promise<DeadPartnerBackoffResult> {
  const log = options.log ?? (() => {})
  const clock = simulatedClock()
  const start = clock()
  const factory = new TenantFactory({ kdf: options.kdf })
  const distributor = await factory.createTenant({ tenantId: 'nordic-distribution', password: 'distributor password' })
  const retailers = await Promise.all(
    ['oslo-bikes', 'bergen-bikes'].map((id) => factory.createTenant({ tenantId: id, password: `${id} password` })),
  )
  await distributor.keyBag.generateKey('catalogue-key')
  const catalogue = await distributor.openDB('catalogue', { keyId: 'catalogue-key' })
  for (const r of retailers) {
    await r.addPartner(distributor.publicProfile(), { dbs: ['catalogue'] })
    await r.acceptSharedKey(distributor.shareKey('catalogue-key', r.publicProfile()))
  }
  let down = true
  const trondheim = await factory.createTenant({ tenantId: 'trondheim-bikes', password: 'trondheim password' })
  // Stands for a remote endpoint that does not answer.
  const flaky: SyncPeer = {
    id: trondheim.id as TenantId,
    openDB: (name) => (down ? Promise.reject(new Error('ECONNREFUSED')) : trondheim.openDB(name)),
  }

  const orchestrator = new MultiTenantSyncOrchestrator({
    clock,
    random: () => 0,
    intervalMs: 1_000,
    backoff: { initialMs: 1_000, maxMs: 16_000 },
  })
  for (const r of retailers)
    await orchestrator.addRelationship(r.id, distributor, r, ['catalogue'], { direction: 'push' })
  await orchestrator.addRelationship('trondheim-bikes', distributor, flaky, ['catalogue'], { direction: 'push' })
  log(`Weft example: ${distributor.id} syncs its catalogue to three retailers; trondheim-bikes is down`)

  const deadTriedAt: number[] = []
  orchestrator.on('sync-failed', (e) => {
    deadTriedAt.push((clock() - start) / 1000)
    log(
      `  t=${String((clock() - start) / 1000).padStart(2)} s  ${e.relationshipId} failed (${e.error.code}, ${e.consecutiveFailures} in a row); retry at t=${(e.retryAt - start) / 1000} s`,
    )
  })
  for (let second = 0; second < 20; second++) {
    await catalogue.createDocument({ data: { sku: `bike-${second}`, price: 1000 + second } })
    await orchestrator.syncDue()
    clock.advance(1_000)
  }
  const status = orchestrator.getRelationshipStatus('trondheim-bikes')!
  const liveEntries = await Promise.all(
    retailers.map(async (r) => (await (await r.openDB('catalogue')).getStore().getAllChangeHashes()).length),
  )
  const distributorEntries = (await catalogue.getStore().getAllChangeHashes()).length
  log(
    `After 20 s: live retailers hold ${liveEntries.join(' and ')} of ${distributorEntries} entries; trondheim-bikes: ${status.state}, ${status.consecutiveFailures} failures.`,
  )

  // The endpoint comes back: the next due try succeeds and the backoff resets.
  down = false
  await trondheim.addPartner(distributor.publicProfile(), { dbs: ['catalogue'] })
  await trondheim.acceptSharedKey(distributor.shareKey('catalogue-key', trondheim.publicProfile()))
  clock.advance(16_000)
  await orchestrator.syncDue()
  const recovered = orchestrator.getRelationshipStatus('trondheim-bikes')!
  log(`The endpoint is back: trondheim-bikes ${recovered.state}, ${recovered.databases[0]!.sent} entries sent.`)

  await orchestrator.stop()
  await factory.close()
  return {
    deadTriedAt,
    liveEntries,
    distributorEntries,
    dead: {
      state: status.state,
      consecutiveFailures: status.consecutiveFailures,
      lastError: status.lastError?.code ?? null,
    },
    recoveredAfterRestart: recovered.consecutiveFailures === 0 && recovered.databases[0]!.sent === distributorEntries,
  }
}

runMain(import.meta, run)
