// `requiresApproval`: a grant that waits for its issuer's approval. An engineer at a clinic
// issues a grant to an insurer; nothing syncs (`WEFT_GRANT_NOT_APPROVED`), and the offer carries no
// key yet. The data-protection officer approves it; the next round delivers the key and the data.
import { MultiTenantSyncOrchestrator, TenantFactory } from '@weft/core'
import { runMain, type ExampleOptions } from '../helpers/runMain.ts'

export interface ApprovalRequiredResult {
  readonly keysInOffer: number
  readonly beforeApproval: { error: string | null; entriesAtInsurer: number; insurerHasKey: boolean }
  readonly afterApproval: { received: number; readable: number; insurerHasKey: boolean }
  readonly statusBefore: string
  readonly statusAfter: string
  readonly audit: string[]
}

export async function run(options: ExampleOptions = {}): Promise<ApprovalRequiredResult> {
  const log = options.log ?? (() => {})
  const factory = new TenantFactory({ kdf: options.kdf })
  const clinic = await factory.createTenant({ tenantId: 'st-olav-clinic', password: 'clinic password' })
  const insurer = await factory.createTenant({ tenantId: 'fjord-insurance', password: 'insurer password' })
  await clinic.keyBag.generateKey('claims-key')
  const claims = await clinic.openDB('claims', { keyId: 'claims-key' })
  await claims.createDocument({ data: { claim: 'C-1001', amount: 420 } })
  await claims.createDocument({ data: { claim: 'C-1002', amount: 1280 } })

  const offer = await clinic.sharing.share({
    partner: insurer.publicProfile(),
    databases: ['claims'],
    keys: ['claims-key'],
    requiresApproval: true,
  })
  await insurer.sharing.accept(offer)
  log(
    `Weft example: ${clinic.id} issues a grant to ${insurer.id} that needs approval; the offer carries ${offer.keys.length} keys.`,
  )
  // The insurer runs the relationship: it pulls, the clinic checks every round.
  const orchestrator = new MultiTenantSyncOrchestrator()
  await orchestrator.addRelationship('insurer←clinic', insurer, clinic, ['claims'], {
    direction: 'pull',
    grantId: offer.grant.id,
  })
  const insurerClaims = await insurer.openDB('claims')

  const first = await orchestrator.syncAll()
  const beforeApproval = {
    error: first.failed[0]?.error.code ?? null,
    entriesAtInsurer: (await insurerClaims.getStore().getAllChangeHashes()).length,
    insurerHasKey: insurer.keyBag.has('claims-key'),
  }
  const statusBefore = (await insurer.sharing.get(offer.grant.id))!.status
  log(
    `1. Before approval: ${beforeApproval.error}; the insurer holds ${beforeApproval.entriesAtInsurer} entries and no key.`,
  )

  await clinic.sharing.approve(offer.grant.id)
  log('2. The clinic approves the grant.')
  const second = await orchestrator.syncAll()
  const afterApproval = {
    received: second.received,
    readable: (await insurerClaims.getAllDocumentIds()).length,
    insurerHasKey: insurer.keyBag.has('claims-key'),
  }
  const statusAfter = (await insurer.sharing.get(offer.grant.id))!.status
  log(
    `3. Next round: key delivered, ${afterApproval.received} entries received, ${afterApproval.readable} claims readable.`,
  )
  const audit = (await clinic.audit.query({ grantId: offer.grant.id })).map((r) =>
    r.code ? `${r.action} ${r.code}` : r.action,
  )
  log(`Clinic audit: ${audit.join(' · ')}`)

  await orchestrator.stop()
  await factory.close()
  return { keysInOffer: offer.keys.length, beforeApproval, afterApproval, statusBefore, statusAfter, audit }
}

runMain(import.meta, run)
