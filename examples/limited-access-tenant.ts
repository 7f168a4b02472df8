// A separate limited-access tenant: Northwind keeps its internal data in its main tenant and
// runs a second tenant, `northwind-desk`, with its own identity and its own key, for the one
// database it shares with a partner. The partner reads everything the desk shares and nothing
// of the main tenant: even when the main tenant's entries are pushed into the partner's store,
// they stay `untrusted` (origin not linked), and if the partner wrongly trusted the main tenant
// too, they would still be `locked` (the partner never had its key).
import { TenantFactory, syncDatabases, type DocumentStatus } from '@weft/core'
import { count, entries, short } from './helpers/format.ts'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

type Doc = { title: string; detail: string }

export interface LimitedAccessResult {
  readonly mainIds: string[]
  readonly sharedIds: string[]
  /** What the partner can read at the end. */
  readonly partnerReadable: string[]
  /** Entries of the main tenant that reached the partner's store when pushed there. */
  readonly mainEntriesPushed: number
  /** The partner's status for each main-tenant document: after the push, after trusting main too. */
  readonly mainStatusAfterPush: Record<string, DocumentStatus>
  readonly mainStatusAfterTrust: Record<string, DocumentStatus>
}

export async function run(options: ExampleOptions = {}): Promise<LimitedAccessResult> {
  const log = options.log ?? (() => {})
  log('Weft example: a limited-access tenant for a partner')
  log('')
  const northwindSide = new TenantFactory({ kdf: options.kdf })
  const partnerSide = new TenantFactory({ kdf: options.kdf })
  const main = await northwindSide.createTenant({ tenantId: 'northwind', password: 'main password' })
  const desk = await northwindSide.createTenant({ tenantId: 'northwind-desk', password: 'desk password' })
  const partner = await partnerSide.createTenant({ tenantId: 'contoso', password: 'partner password' })

  const internal = await main.openDB('orders')
  const mainIds: string[] = []
  for (const [title, detail] of [
    ['Margins Q3', 'gross margin 41%'],
    ['Supplier costs', 'oak at 310/m3'],
  ] as const) {
    mainIds.push((await internal.createDocument<Doc>({ data: { title, detail } })).getId())
  }
  log(`${main.id} (main tenant) keeps ${count(mainIds.length, 'internal document')} under its own default key.`)

  // The desk and the partner trust each other for "orders"; the desk's key is sealed to the partner.
  await desk.addPartner(partner.publicProfile(), { dbs: ['orders'] })
  await partner.addPartner(desk.publicProfile(), { dbs: ['orders'] })
  await desk.keyBag.generateKey('desk-key')
  await partner.acceptSharedKey(desk.shareKey('desk-key', partner.publicProfile()))
  const deskDb = await desk.openDB('orders', { keyId: 'desk-key' })
  const partnerDb = await partner.openDB('orders', { keyId: 'desk-key' })
  const sharedIds = [
    (await deskDb.createDocument<Doc>({ data: { title: 'PO 7781', detail: '40 chairs, due May' } })).getId(),
  ]
  sharedIds.push(
    (
      await partnerDb.createDocument<Doc>({ data: { title: 'Delivery slots', detail: 'Tue and Thu mornings' } })
    ).getId(),
  )
  await syncDatabases(deskDb, partnerDb)
  log(
    `${desk.id} (limited tenant, key "desk-key") and ${partner.id} share "orders": ${count(sharedIds.length, 'document')}.`,
  )

  const pushed = await internal.pushChangesTo(partnerDb)
  const statuses = async (): Promise<Record<string, DocumentStatus>> =>
    Object.fromEntries(await Promise.all(mainIds.map(async (id) => [id, await partnerDb.getDocumentStatus(id)])))
  const mainStatusAfterPush = await statuses()
  log(`The main tenant's ${entries(pushed.transferred)} are pushed into ${partner.id}'s store anyway.`)
  log(`They stay ${Object.values(mainStatusAfterPush).join(', ')}: ${partner.id} never linked ${main.id}'s database.`)

  await partner.addPartner(main.publicProfile(), { dbs: ['orders'] })
  const mainStatusAfterTrust = await statuses()
  log(
    `Even if ${partner.id} trusted ${main.id} too, they are only ${Object.values(mainStatusAfterTrust).join(', ')}: it never got the key.`,
  )

  const partnerReadable = (await partnerDb.getAllDocumentIds()).sort()
  log(`${partner.id} reads ${count(partnerReadable.length, 'document')}:`)
  for (const id of partnerReadable) log(`  ${short(id)} ${(await partnerDb.getDocument<Doc>(id))!.getData().title}`)

  for (const t of [main, desk, partner]) await t.close()
  await northwindSide.close()
  await partnerSide.close()
  return {
    mainIds: mainIds.sort(),
    sharedIds: sharedIds.sort(),
    partnerReadable,
    mainEntriesPushed: pushed.transferred,
    mainStatusAfterPush,
    mainStatusAfterTrust,
  }
}

runMain(import.meta, run)
