// Document-type filtering: a company keeps orders, invoices and contacts in one database and
// shares only `type: "order"` documents with its logistics partner, using a filter function with
// `syncFiltered`. Later runs, resumed from the saved state, send new orders and nothing else.
import { TenantFactory, syncFiltered, type DocFilter, type DocId } from '@weft/core'
import { entries } from './helpers/format.ts'
import { readAll } from './helpers/readAll.ts'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

type BusinessDoc = { type: 'order' | 'invoice' | 'contact'; ref: string }

export interface DocumentTypeFilterResult {
  /** Ids by type on the source. */
  readonly orderIds: string[]
  readonly otherIds: string[]
  /** What the partner reads. */
  readonly partnerDocs: Record<string, BusinessDoc>
  /** Entries in the partner's store, entries of the orders on the source, and of the rest. */
  readonly partnerEntries: number
  readonly orderEntries: number
  readonly otherEntriesOnPartner: number
  readonly sent: [number, number]
}

export async function run(options: ExampleOptions = {}): Promise<DocumentTypeFilterResult> {
  const log = options.log ?? (() => {})
  log('Weft example: sharing only one type of document')
  log('')
  const factory = new TenantFactory({ kdf: options.kdf })
  const shop = await factory.createTenant({ tenantId: 'furniture-shop', password: 'shop password' })
  const carrier = await factory.createTenant({ tenantId: 'fast-freight', password: 'carrier password' })
  await carrier.addPartner(shop.publicProfile(), { dbs: ['business'] })
  await shop.keyBag.generateKey('business-key')
  await carrier.acceptSharedKey(shop.shareKey('business-key', carrier.publicProfile()))
  const source = await shop.openDB('business', { keyId: 'business-key' })
  const target = await carrier.openDB('business')

  const orderIds: DocId[] = []
  const otherIds: DocId[] = []
  const add = async (type: BusinessDoc['type'], ref: string): Promise<void> => {
    const doc = await source.createDocument<BusinessDoc>({ data: { type, ref } })
    ;(type === 'order' ? orderIds : otherIds).push(doc.getId())
  }
  await add('order', 'ORD-1001')
  await add('invoice', 'INV-5001')
  await add('contact', 'Ada Lovelace')
  await add('order', 'ORD-1002')
  log(`${shop.id} holds 2 orders, 1 invoice and 1 contact in "business".`)

  const ordersOnly: DocFilter = (doc) => doc.getData().type === 'order'
  const first = await syncFiltered(source, target, ordersOnly)
  log(`Filtered sync to ${carrier.id}: ${entries(first.lastSent)} sent.`)

  await add('invoice', 'INV-5002')
  await add('order', 'ORD-1003')
  const second = await syncFiltered(source, target, ordersOnly, first)
  log(`${shop.id} adds an invoice and an order; the next run sends ${entries(second.lastSent)}.`)

  const partnerDocs = await readAll<BusinessDoc>(target)
  const partnerEntries = (await target.getStore().head()).count
  let orderEntries = 0
  for (const id of orderIds) orderEntries += (await source.getStore().getAllChangeHashesForDoc(id)).length
  let otherEntriesOnPartner = 0
  for (const id of otherIds) otherEntriesOnPartner += (await target.getStore().getAllChangeHashesForDoc(id)).length
  log(
    `${carrier.id} reads: ${Object.values(partnerDocs)
      .map((d) => `${d.type} ${d.ref}`)
      .sort()
      .join(', ')}`,
  )
  log(`Its store holds ${entries(partnerEntries)}, none of invoices or contacts (${otherEntriesOnPartner}).`)

  await shop.close()
  await carrier.close()
  await factory.close()
  return {
    orderIds: orderIds.sort(),
    otherIds: otherIds.sort(),
    partnerDocs,
    partnerEntries,
    orderEntries,
    otherEntriesOnPartner,
    sent: [first.lastSent, second.lastSent],
  }
}

runMain(import.meta, run)
