// A revoked partner cannot read later documents. A newsroom shares its `stories` with two
// agencies; it revokes one. Revocation stops that relationship and rotates the key: the other
// agency receives the new key version with its next round, the revoked one never does. Even if a
// later entry reached the revoked agency another way (here: copied straight into its store, as a
// leaky relay might), it stays locked. What it received before revocation stays readable.
import { MultiTenantSyncOrchestrator, TenantFactory } from '@weft/core'
import { runMain, type ExampleOptions } from '../helpers/runMain.ts'

export interface RevokedPartnerResult {
  readonly revokedError: string | null
  /** Status of the story written before revocation, and of the one after, for each agency. */
  readonly revokedAgency: { before: string; after: string; afterEntriesFromSync: number }
  readonly validAgency: { before: string; after: string }
  readonly keyVersions: { newsroom: number; revoked: number; valid: number }
  readonly revokeAudit: string | null
}

export async function run(options: ExampleOptions = {}): Promise<RevokedPartnerResult> {
  const log = options.log ?? (() => {})
  const factory = new TenantFactory({ kdf: options.kdf })
  const newsroom = await factory.createTenant({ tenantId: 'daily-planet', password: 'newsroom password' })
  const revokedAgency = await factory.createTenant({ tenantId: 'wire-one', password: 'agency one password' })
  const validAgency = await factory.createTenant({ tenantId: 'wire-two', password: 'agency two password' })
  await newsroom.keyBag.generateKey('stories-key')
  const stories = await newsroom.openDB('stories', { keyId: 'stories-key' })
  const orchestrator = new MultiTenantSyncOrchestrator()
  const grants: Record<string, string> = {}
  for (const agency of [revokedAgency, validAgency]) {
    const offer = await newsroom.sharing.share({
      partner: agency.publicProfile(),
      databases: ['stories'],
      keys: ['stories-key'],
    })
    await agency.sharing.accept(offer)
    await orchestrator.addRelationship(agency.id, newsroom, agency, ['stories'], {
      direction: 'push',
      grantId: offer.grant.id,
    })
    grants[agency.id] = offer.grant.id
  }
  log(`Weft example: ${newsroom.id} shares "stories" with ${revokedAgency.id} and ${validAgency.id}`)

  const before = await stories.createDocument({ data: { headline: 'Harbour bridge reopens' } })
  await orchestrator.syncAll()
  log('1. A story is written and synced to both agencies.')
  await newsroom.sharing.revoke(grants[revokedAgency.id]!)
  log(
    `2. ${newsroom.id} revokes ${revokedAgency.id}'s grant; "stories-key" is rotated to v${newsroom.keyBag.current('stories-key').version}.`,
  )
  const after = await stories.createDocument({ data: { headline: 'Embargoed: merger talks' } })
  const round = await orchestrator.syncAll()
  const revokedError = round.failed.find((f) => f.id === revokedAgency.id)?.error.code ?? null
  log(
    `3. A new story; the next round: ${revokedAgency.id} → ${revokedError}, ${validAgency.id} → synced (and got the new key version).`,
  )

  const revokedDb = await revokedAgency.openDB('stories')
  const validDb = await validAgency.openDB('stories')
  const afterEntriesFromSync = (await revokedDb.getStore().getAllChangeHashesForDoc(after.getId())).length
  await revokedDb.pullChangesFrom(stories) // a leak outside Weft's sync: the entries arrive anyway
  const result: RevokedPartnerResult = {
    revokedError,
    revokedAgency: {
      before: await revokedDb.getDocumentStatus(before.getId()),
      after: await revokedDb.getDocumentStatus(after.getId()),
      afterEntriesFromSync,
    },
    validAgency: {
      before: await validDb.getDocumentStatus(before.getId()),
      after: await validDb.getDocumentStatus(after.getId()),
    },
    keyVersions: {
      newsroom: newsroom.keyBag.current('stories-key').version,
      revoked: revokedAgency.keyBag.current('stories-key').version,
      valid: validAgency.keyBag.current('stories-key').version,
    },
    revokeAudit: (await newsroom.audit.query({ action: 'revoke' }))[0]?.detail ?? null,
  }
  log(
    `4. ${revokedAgency.id}: earlier story "${result.revokedAgency.before}", later story "${result.revokedAgency.after}" even after a leak copied its entries in.`,
  )
  log(`   ${validAgency.id}: earlier story "${result.validAgency.before}", later story "${result.validAgency.after}".`)

  await orchestrator.stop()
  await factory.close()
  return result
}

runMain(import.meta, run)
