// The main job (`npm start`): three organisations on the embedded default storage, kept in sync by
// the MultiTenantSyncOrchestrator under signed grants.
//
// - acme-retail (a customer) shares its `orders` with globex-supply (its supplier), read + write:
//   the supplier receives orders and its confirmations are accepted back.
// - globex-supply shares its `dispatch` database with initech-freight (its carrier), read only,
//   for documents whose status is "ready", expiring a year after the first run: the carrier never
//   receives the supplier's internal cost sheets in the same database.
//
// Each organisation keeps its tenant, keys, grants, documents, sync cursors and audit trail in its
// own LevelDB folder under a data directory (default `.weft-data`, or WEFT_DATA_DIR). The first run
// creates the tenants and issues the grants; every later run reopens them with their passwords,
// the customer places one more order, and the orchestrator (its relationships re-added under the
// same ids, so their cursors resume) sends only what is new.
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import {
  ErrorCodes,
  isWeftError,
  MultiTenantSyncOrchestrator,
  TenantFactory,
  type Database,
  type Tenant,
  type TenantFactoryOptions,
} from '@weft/core'
import { LevelStoreFactory } from '@weft/store-level'
import { count, short } from './helpers/format.ts'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

type Order = { item: string; quantity: number; status: string; placedInRun: number }
type Dispatch = { order: string; item: string; status: string; costEuro?: number }

const CUSTOMER = { tenantId: 'acme-retail', password: 'customer password' }
const SUPPLIER = { tenantId: 'globex-supply', password: 'supplier password' }
const CARRIER = { tenantId: 'initech-freight', password: 'carrier password' }
const ITEMS = ['oak dining table', 'walnut bookcase', 'linen armchair', 'brass floor lamp', 'wool rug']
const YEAR_MS = 365 * 24 * 3600 * 1000
export interface PersistentRunOptions extends ExampleOptions {
  /** Where the organisations keep their data. Default: WEFT_DATA_DIR or `.weft-data`. */
  readonly dataDir?: string
}

export interface PersistentRunResult {
  /** True when this run created the tenants; false when it reopened them. */
  readonly created: boolean
  /** Which run this was (1 for the first over this data directory). */
  readonly run: number
  /** Entries each relationship moved in this run, by direction. */
  readonly moved: { readonly toSupplier: number; readonly toCustomer: number; readonly toCarrier: number }
  /** Every order as each side reads it, by id. */
  readonly customerOrders: Record<string, Order>
  readonly supplierOrders: Record<string, Order>
  /** The supplier's dispatch documents, and those the carrier holds. */
  readonly supplierDispatch: Record<string, Dispatch>
  readonly carrierDispatch: Record<string, Dispatch>
  /** Whether each organisation's audit trail verifies, and how many records it has. */
  readonly audit: Record<string, { readonly ok: boolean; readonly records: number }>
}

async function openOrCreate(
  factory: TenantFactory,
  who: typeof CUSTOMER,
): Promise<{ tenant: Tenant; created: boolean }> {
  try {
    return { tenant: await factory.openTenant(who.tenantId, { password: who.password }), created: false }
  } catch (err) {
    if (!isWeftError(err, ErrorCodes.TENANT_NOT_FOUND)) throw err
    return { tenant: await factory.createTenant(who), created: true }
  }
}

async function readAll<T>(db: Database): Promise<Record<string, T>> {
  const out: Record<string, T> = {}
  for (const id of (await db.getAllDocumentIds()).sort()) out[id] = (await db.getDocument(id))!.toJSON() as T
  return out
}

/**
 * The grant `issuer` gave `partner` for `db`: found in the issuer's records on later runs, issued
 * (and accepted by the partner) on the first.
 */
async function grantOnce(issuer: Tenant, partner: Tenant, db: string, issue: () => Promise<string>): Promise<string> {
  const issued = await issuer.sharing.list({ role: 'issued' })
  const kept = issued.find((g) => g.partner === partner.id && g.databases.includes(db))
  return kept?.id ?? issue()
}

export async function run(options: PersistentRunOptions = {}): Promise<PersistentRunResult> {
  const log = options.log ?? (() => {})
  const dataDir = options.dataDir ?? process.env.WEFT_DATA_DIR ?? '.weft-data'
  const factoryOptions = (path: string): TenantFactoryOptions => ({
    storeFactory: new LevelStoreFactory({ path }),
    kdf: options.kdf,
  })
  const sides = [CUSTOMER, SUPPLIER, CARRIER].map((who) => ({
    who,
    factory: new TenantFactory(factoryOptions(join(dataDir, who.tenantId))),
  }))
  const orchestrator = new MultiTenantSyncOrchestrator()
  try {
    const [customerSide, supplierSide, carrierSide] = await Promise.all(
      sides.map((s) => openOrCreate(s.factory, s.who)),
    )
    const customer = customerSide!.tenant
    const supplier = supplierSide!.tenant
    const carrier = carrierSide!.tenant
    const created = customerSide!.created

    log(`Weft: a customer, its supplier and the supplier's carrier, on LevelDB under ${dataDir}`)
    if (created) {
      await customer.keyBag.generateKey('orders-key')
      await supplier.keyBag.generateKey('dispatch-key')
    }
    const orders = await customer.openDB('orders', { keyId: 'orders-key' })
    const supplierOrders = await supplier.openDB('orders')
    const dispatch = await supplier.openDB('dispatch', { keyId: 'dispatch-key' })
    const carrierDispatch = await carrier.openDB('dispatch')
    const runNumber = (await orders.getAllDocumentIds()).length + 1

    const ordersGrant = await grantOnce(customer, supplier, 'orders', async () => {
      const offer = await customer.sharing.share({
        partner: supplier.publicProfile(),
        databases: ['orders'],
        keys: ['orders-key'],
        permissions: ['read', 'write'],
      })
      await supplier.sharing.accept(offer)
      return offer.grant.id
    })
    const dispatchGrant = await grantOnce(supplier, carrier, 'dispatch', async () => {
      const offer = await supplier.sharing.share({
        partner: carrier.publicProfile(),
        databases: ['dispatch'],
        keys: ['dispatch-key'],
        permissions: ['read'],
        filter: { where: { status: 'ready' } },
        expiresAt: Date.now() + YEAR_MS,
      })
      await carrier.sharing.accept(offer)
      return offer.grant.id
    })
    log(
      created
        ? `Run ${runNumber}: created ${customer.id}, ${supplier.id} and ${carrier.id}; ${customer.id} granted ${supplier.id} "orders" (read + write, grant ${short(ordersGrant)}), ` +
            `${supplier.id} granted ${carrier.id} "dispatch" where status is "ready" (read, a year, grant ${short(dispatchGrant)}).`
        : `Run ${runNumber}: reopened the three tenants from disk with their passwords (${count(runNumber - 1, 'order')} already there); their grants and cursors were kept.`,
    )

    // Relationships are re-added under the same ids every run: their cursors and state come back
    // from each issuer's records.
    await orchestrator.addRelationship('acme-globex/orders', customer, supplier, ['orders'], {
      direction: 'both',
      grantId: ordersGrant,
    })
    await orchestrator.addRelationship('globex-initech/dispatch', supplier, carrier, ['dispatch'], {
      direction: 'push',
      grantId: dispatchGrant,
    })
    const moved = { toSupplier: 0, toCustomer: 0, toCarrier: 0 }
    const round = async () => {
      const r = await orchestrator.syncAll()
      for (const f of r.failed) log(`   relationship ${f.id} failed: ${f.error.code} ${f.error.message}`)
      return r
    }

    const item = ITEMS[(runNumber - 1) % ITEMS.length]!
    const order = await orders.createDocument<Order>({
      data: { item, quantity: 1 + (runNumber % 3), status: 'pending', placedInRun: runNumber },
    })
    log(`1. ${customer.id} places order ${short(order.getId())}: ${item}.`)
    moved.toSupplier += (await round()).sent
    log(`2. Orchestrator round: ${count(moved.toSupplier, 'entry', 'entries')} to ${supplier.id}.`)

    let confirmed = 0
    for (const id of await supplierOrders.getAllDocumentIds()) {
      const o = await supplierOrders.getDocument<Order>(id)
      if (o?.getData().status !== 'pending') continue
      await supplierOrders.changeDoc<Order>(id, (d) => void (d.getData().status = 'confirmed'))
      await dispatch.createDocument<Dispatch>({ data: { order: id, item: o.getData().item, status: 'ready' } })
      await dispatch.createDocument<Dispatch>({
        data: { order: id, item: o.getData().item, status: 'internal', costEuro: 40 + 5 * runNumber },
      })
      confirmed++
    }
    log(
      `3. ${supplier.id} confirms ${count(confirmed, 'pending order')} and writes a dispatch note ("ready") and a cost sheet ("internal") for each.`,
    )
    const before = orchestrator.getStatus()
    await round()
    const after = orchestrator.getStatus()
    // What one relationship's database counted in this round: its counters after, less before.
    const during = (id: string, field: 'sent' | 'received') => {
      const of = (s: typeof after) => s.relationships.find((r) => r.id === id)!.databases[0]![field]
      return of(after) - of(before)
    }
    moved.toCustomer = during('acme-globex/orders', 'received')
    moved.toCarrier = during('globex-initech/dispatch', 'sent')
    log(
      `4. Orchestrator round: ${count(moved.toCustomer, 'confirmation')} back to ${customer.id}, ${count(moved.toCarrier, 'entry', 'entries')} to ${carrier.id}.`,
    )

    const customerView = await readAll<Order>(orders)
    const supplierView = await readAll<Order>(supplierOrders)
    const supplierDispatch = await readAll<Dispatch>(dispatch)
    const carrierView = await readAll<Dispatch>(carrierDispatch)
    const audit: Record<string, { ok: boolean; records: number }> = {}
    for (const t of [customer, supplier, carrier]) {
      const v = await t.audit.verify()
      audit[t.id] = { ok: v.ok, records: (await t.audit.query()).length }
    }

    log('')
    log('Orders as each side reads them:')
    for (const [id, o] of Object.entries(customerView)) {
      log(
        `  ${short(id)} run ${o.placedInRun} ${o.item.padEnd(18)} ${customer.id}: ${o.status.padEnd(9)} ${supplier.id}: ${supplierView[id]?.status}`,
      )
    }
    const internal = Object.values(supplierDispatch).filter((d) => d.status === 'internal').length
    log(
      `Dispatch: ${supplier.id} holds ${count(Object.keys(supplierDispatch).length, 'document')} (${internal} internal); ` +
        `${carrier.id} holds ${count(Object.keys(carrierView).length, 'document')}, none internal: ${Object.values(carrierView).every((d) => d.status === 'ready') ? 'yes' : 'no'}.`,
    )
    for (const rel of after.relationships) {
      const db = rel.databases[0]!
      log(
        `Relationship ${rel.id}: sent ${db.sent}, received ${db.received} over all runs, up to date: ${db.upToDate ? 'yes' : 'no'}.`,
      )
    }
    log(
      `Audit trails verify: ${Object.entries(audit)
        .map(([id, a]) => `${id} ${a.ok ? 'yes' : 'NO'} (${a.records} records)`)
        .join(', ')}.`,
    )
    log('')
    log(
      `Customer and supplier agree: ${isDeepStrictEqual(customerView, supplierView) ? 'yes' : 'no'}. Run \`npm start\` again: it reopens the tenants and sends only what is new.`,
    )

    await orchestrator.stop()
    await Promise.all([customer.close(), supplier.close(), carrier.close()])
    return {
      created,
      run: runNumber,
      moved,
      customerOrders: customerView,
      supplierOrders: supplierView,
      supplierDispatch,
      carrierDispatch: carrierView,
      audit,
    }
  } finally {
    await orchestrator.stop()
    await Promise.all(sides.map((s) => s.factory.close()))
  }
}

runMain(import.meta, run)
