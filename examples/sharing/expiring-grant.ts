// A grant that expires mid-run. A lab shares its `readings` with a contractor for three hours.
// The orchestrator syncs every hour on a simulated clock; at the third hour the grant has expired
// by the lab's clock: no data moves, the relationship reports `WEFT_GRANT_EXPIRED`, the key is
// rotated, and both audit trails record it. What the contractor received before stays with it.
import { asDocId, MultiTenantSyncOrchestrator, TenantFactory } from '@weft/core'
import { count } from '../helpers/format.ts'
import { runMain, type ExampleOptions } from '../helpers/runMain.ts'
import { HOUR, simulatedClock, timeOfDay } from './helpers/clock.ts'

export interface ExpiringGrantResult {
  /** Per hourly round: entries delivered, or the error code. */
  readonly rounds: { at: string; sent: number; error: string | null }[]
  /** Readings the contractor can read at the end, and those written after expiry it lacks. */
  readonly readable: number
  readonly writtenAfterExpiry: number
  readonly afterExpiryInContractorStore: number
  readonly keyVersion: { lab: number; contractor: number }
  readonly grantStatus: { lab: string; contractor: string }
  readonly labAudit: string[]
}

export async function run(options: ExampleOptions = {}): Promise<ExpiringGrantResult> {
  const log = options.log ?? (() => {})
  const clock = simulatedClock()
  const factory = new TenantFactory({ kdf: options.kdf })
  const lab = await factory.createTenant({ tenantId: 'hydro-lab', password: 'lab password' })
  const contractor = await factory.createTenant({ tenantId: 'fieldwork-ltd', password: 'contractor password' })
  lab.setClock(clock)
  contractor.setClock(clock)
  await lab.keyBag.generateKey('readings-key')
  const readings = await lab.openDB('readings', { keyId: 'readings-key' })
  const received = await contractor.openDB('readings')

  const offer = await lab.sharing.share({
    partner: contractor.publicProfile(),
    databases: ['readings'],
    keys: ['readings-key'],
    expiresAt: clock() + 3 * HOUR,
  })
  await contractor.sharing.accept(offer)
  log(
    `Weft example: ${lab.id} shares "readings" with ${contractor.id} from ${timeOfDay(clock())} until ${timeOfDay(offer.grant.expiresAt!)}`,
  )
  const orchestrator = new MultiTenantSyncOrchestrator({ clock })
  await orchestrator.addRelationship('lab→contractor', lab, contractor, ['readings'], {
    direction: 'push',
    grantId: offer.grant.id,
  })

  const rounds: ExpiringGrantResult['rounds'] = []
  const afterExpiry: string[] = []
  for (let hour = 0; hour < 5; hour++) {
    const doc = await readings.createDocument({ data: { hour, level: 3.2 + hour / 10 } })
    if (clock() >= offer.grant.expiresAt!) afterExpiry.push(doc.getId())
    const r = await orchestrator.syncAll()
    const error = r.failed[0]?.error.code ?? null
    rounds.push({ at: timeOfDay(clock()), sent: r.sent, error })
    log(
      `  ${timeOfDay(clock())} reading ${hour} written; round: ${error ?? `${count(r.sent, 'entry', 'entries')} delivered`}`,
    )
    clock.advance(HOUR)
  }

  let inStore = 0
  for (const id of afterExpiry) inStore += (await received.getStore().getAllChangeHashesForDoc(asDocId(id))).length
  const readable = (await received.getAllDocumentIds()).length
  const keyVersion = {
    lab: lab.keyBag.current('readings-key').version,
    contractor: contractor.keyBag.current('readings-key').version,
  }
  const grantStatus = {
    lab: (await lab.sharing.get(offer.grant.id))!.status,
    contractor: (await contractor.sharing.get(offer.grant.id))!.status,
  }
  const labAudit = (await lab.audit.query({ grantId: offer.grant.id })).map((r) =>
    r.code ? `${r.action} ${r.code}` : r.action,
  )
  log('')
  log(
    `The contractor reads ${readable} readings; of the ${afterExpiry.length} written after expiry its store holds ${inStore} entries.`,
  )
  log(`Key "readings-key": the lab is at v${keyVersion.lab}, the contractor holds up to v${keyVersion.contractor}.`)
  log(
    `Grant status: ${grantStatus.lab} (lab), ${grantStatus.contractor} (contractor). Lab audit: ${labAudit.join(' · ')}`,
  )

  await orchestrator.stop()
  await factory.close()
  return {
    rounds,
    readable,
    writtenAfterExpiry: afterExpiry.length,
    afterExpiryInContractorStore: inStore,
    keyVersion,
    grantStatus,
    labAudit,
  }
}

runMain(import.meta, run)
