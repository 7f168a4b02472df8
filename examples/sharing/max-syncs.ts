// `maxSyncs`: a grant for a bounded number of syncs. An auditor may pull a company's ledger twice
// (say, at the start and at the end of an audit). Rounds that move nothing do not count; the third
// round that would move data is refused with `WEFT_GRANT_EXHAUSTED`.
import { MultiTenantSyncOrchestrator, TenantFactory } from '@weft/core'
import { count } from '../helpers/format.ts'
import { runMain, type ExampleOptions } from '../helpers/runMain.ts'

export interface MaxSyncsResult {
  /** Per round: entries received, or the error code. */
  readonly rounds: { received: number; error: string | null }[]
  readonly syncsUsed: number | null
  readonly entriesAtAuditor: number
  readonly entriesAtCompany: number
}

export async function run(options: ExampleOptions = {}): Promise<MaxSyncsResult> {
  const log = options.log ?? (() => {})
  const factory = new TenantFactory({ kdf: options.kdf })
  const company = await factory.createTenant({ tenantId: 'northwind', password: 'company password' })
  const auditor = await factory.createTenant({ tenantId: 'kpmx-audit', password: 'auditor password' })
  await company.keyBag.generateKey('ledger-key')
  const ledger = await company.openDB('ledger', { keyId: 'ledger-key' })
  const offer = await company.sharing.share({
    partner: auditor.publicProfile(),
    databases: ['ledger'],
    keys: ['ledger-key'],
    maxSyncs: 2,
  })
  await auditor.sharing.accept(offer)
  const orchestrator = new MultiTenantSyncOrchestrator()
  await orchestrator.addRelationship('audit', auditor, company, ['ledger'], {
    direction: 'pull',
    grantId: offer.grant.id,
  })
  log(`Weft example: ${auditor.id} may sync ${company.id}'s ledger ${offer.grant.conditions.maxSyncs} times`)

  const rounds: MaxSyncsResult['rounds'] = []
  const round = async (label: string) => {
    const r = await orchestrator.syncAll()
    rounds.push({ received: r.received, error: r.failed[0]?.error.code ?? null })
    log(`  ${label.padEnd(28)} → ${r.failed[0]?.error.code ?? `${count(r.received, 'entry', 'entries')} received`}`)
  }
  await ledger.createDocument({ data: { quarter: 'Q1', revenue: 1_200_000 } })
  await round('Q1 booked, first pull')
  await round('nothing new (not counted)')
  await ledger.createDocument({ data: { quarter: 'Q2', revenue: 1_350_000 } })
  await round('Q2 booked, second pull')
  await ledger.createDocument({ data: { quarter: 'Q3', revenue: 1_100_000 } })
  await round('Q3 booked, third pull')

  const result = {
    rounds,
    syncsUsed: (await company.sharing.get(offer.grant.id))!.syncs,
    entriesAtAuditor: (await (await auditor.openDB('ledger')).getStore().getAllChangeHashes()).length,
    entriesAtCompany: (await ledger.getStore().getAllChangeHashes()).length,
  }
  log(
    `The auditor holds ${result.entriesAtAuditor} of the company's ${result.entriesAtCompany} entries; syncs used: ${result.syncsUsed}.`,
  )
  await orchestrator.stop()
  await factory.close()
  return result
}

runMain(import.meta, run)
