// Four research institutions, relationships between all pairs. Each shares its own `findings`
// database with each of the others under a read grant (one relationship per direction, run by
// one orchestrator), so every institution lists its own findings and the others' as shared, with
// who shared them, when and until when. Each keeps the others' keys under names of its own.
import { MultiTenantSyncOrchestrator, TenantFactory, type Tenant } from '@weft/core'
import { count } from '../helpers/format.ts'
import { runMain, type ExampleOptions } from '../helpers/runMain.ts'

const INSTITUTIONS = ['uni-oslo', 'inst-pasteur', 'kyoto-med', 'mit-biolab'] as const
const YEAR = 365 * 24 * 3_600_000

type Finding = { title: string; by: string }

export interface ResearchInstitutionsResult {
  readonly relationships: number
  /** Per institution: titles of own findings, and of shared ones with who shared them. */
  readonly listings: Record<
    string,
    { own: string[]; shared: { title: string; sharedBy: string; expiresAt: number | null }[] }
  >
  readonly failed: number
}

export async function run(options: ExampleOptions = {}): Promise<ResearchInstitutionsResult> {
  const log = options.log ?? (() => {})
  const factory = new TenantFactory({ kdf: options.kdf })
  const tenants: Tenant[] = []
  for (const id of INSTITUTIONS) {
    const t = await factory.createTenant({ tenantId: id, password: `${id} password` })
    await t.keyBag.generateKey('findings-key')
    const db = await t.openDB('findings', { keyId: 'findings-key' })
    for (const n of [1, 2]) await db.createDocument<Finding>({ data: { title: `${id} finding ${n}`, by: id } })
    tenants.push(t)
  }
  log('Weft example: four institutions share findings, every pair in both directions')

  const orchestrator = new MultiTenantSyncOrchestrator({ concurrency: 4 })
  for (const source of tenants) {
    for (const partner of tenants) {
      if (source === partner) continue
      const offer = await source.sharing.share({
        partner: partner.publicProfile(),
        databases: ['findings'],
        keys: ['findings-key'],
        expiresAt: Date.now() + YEAR,
      })
      // Every institution has its own "findings-key": the partner keeps this one under another name.
      await partner.sharing.accept(offer, { keyNames: { 'findings-key': `findings-of-${source.id}` } })
      await orchestrator.addRelationship(`${source.id}→${partner.id}`, source, partner, ['findings'], {
        direction: 'push',
        grantId: offer.grant.id,
      })
    }
  }
  const relationships = orchestrator.getStatus().relationships.length
  log(
    `${relationships} relationships (${INSTITUTIONS.length} institutions, all pairs, both directions), each under its own grant.`,
  )
  const result = await orchestrator.syncAll()
  log(`One round: ${count(result.sent, 'entry', 'entries')} sent, ${result.failed.length} failed.`)

  const listings: ResearchInstitutionsResult['listings'] = {}
  for (const t of tenants) {
    const listing = await t.sharing.listDocuments('findings')
    const db = await t.openDB('findings')
    const title = async (id: string) => (await db.getDocument<Finding>(id))!.getData().title
    listings[t.id] = {
      own: (await Promise.all(listing.own.map((d) => title(d.id)))).sort(),
      shared: (
        await Promise.all(
          listing.shared.map(async (d) => ({
            title: await title(d.id),
            sharedBy: d.via!.sharedBy,
            expiresAt: d.via!.expiresAt,
          })),
        )
      ).sort((a, b) => a.title.localeCompare(b.title)),
    }
    log(
      `  ${t.id.padEnd(13)} own ${listings[t.id]!.own.length}, shared ${listings[t.id]!.shared.length} (from ${[...new Set(listings[t.id]!.shared.map((s) => s.sharedBy))].join(', ')})`,
    )
  }

  await orchestrator.stop()
  for (const t of tenants) await t.close()
  await factory.close()
  return { relationships, listings, failed: result.failed.length }
}

runMain(import.meta, run)
