// The main job (`npm start`): the supplier–customer scenario on the embedded default storage.
// Each organisation keeps its tenant, keys, documents and sync cursors in its own LevelDB folder
// under a data directory (default `.weft-data`, or WEFT_DATA_DIR). The first run creates both
// tenants; every later run reopens them with their passwords, the customer places one more order,
// and the incremental syncs (cursors saved in each tenant's storage) send only what is new.
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import {
  ErrorCodes, incrementalSync, isWeftError, TenantFactory, type Database, type Tenant, type TenantFactoryOptions,
} from '@weft/core'
import { LevelStoreFactory } from '@weft/store-level'
import { count, entries, short } from './helpers/format.ts'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

type Order = { item: string; quantity: number; status: string; placedInRun: number }

const CUSTOMER = { tenantId: 'acme-retail', password: 'customer password' }
const SUPPLIER = { tenantId: 'globex-supply', password: 'supplier password' }
const ITEMS = ['oak dining table', 'walnut bookcase', 'linen armchair', 'brass floor lamp', 'wool rug']

export interface PersistentRunOptions extends ExampleOptions {
  /** Where both organisations keep their data. Default: WEFT_DATA_DIR or `.weft-data`. */
  readonly dataDir?: string
}

export interface PersistentRunResult {
  /** True when this run created the tenants; false when it reopened them. */
  readonly created: boolean
  /** Which run this was (1 for the first over this data directory). */
  readonly run: number
  readonly sentToSupplier: number
  readonly sentToCustomer: number
  /** Every order as each side reads it, by id. */
  readonly customerOrders: Record<string, Order>
  readonly supplierOrders: Record<string, Order>
}

async function openOrCreate(factory: TenantFactory, who: typeof CUSTOMER): Promise<{ tenant: Tenant; created: boolean }> {
  try {
    return { tenant: await factory.openTenant(who.tenantId, { password: who.password }), created: false }
  } catch (err) {
    if (!isWeftError(err, ErrorCodes.TENANT_NOT_FOUND)) throw err
    return { tenant: await factory.createTenant(who), created: true }
  }
}

async function readOrders(db: Database): Promise<Record<string, Order>> {
  const out: Record<string, Order> = {}
  for (const id of (await db.getAllDocumentIds()).sort()) out[id] = (await db.getDocument<Order>(id))!.toJSON()
  return out
}

export async function run(options: PersistentRunOptions = {}): Promise<PersistentRunResult> {
  const log = options.log ?? (() => {})
  const dataDir = options.dataDir ?? process.env.WEFT_DATA_DIR ?? '.weft-data'
  const factoryOptions = (path: string): TenantFactoryOptions => ({ storeFactory: new LevelStoreFactory({ path }), kdf: options.kdf })
  const customerSide = new TenantFactory(factoryOptions(join(dataDir, 'customer')))
  const supplierSide = new TenantFactory(factoryOptions(join(dataDir, 'supplier')))
  try {
    const { tenant: customer, created } = await openOrCreate(customerSide, CUSTOMER)
    const { tenant: supplier } = await openOrCreate(supplierSide, SUPPLIER)
    if (created) {
      // Once: trust each other's signers for `orders`, and seal the orders key to the supplier.
      await customer.addPartner(supplier.publicProfile(), { dbs: ['orders'] })
      await supplier.addPartner(customer.publicProfile(), { dbs: ['orders'] })
      await customer.keyBag.generateKey('orders-key')
      await supplier.acceptSharedKey(customer.shareKey('orders-key', supplier.publicProfile()))
    }
    const customerOrders = await customer.openDB('orders', { keyId: 'orders-key' })
    const supplierOrders = await supplier.openDB('orders', { keyId: 'orders-key' })
    const runNumber = (await customerOrders.getAllDocumentIds()).length + 1

    log(`Weft: supplier and customer, on LevelDB under ${dataDir}`)
    log(created
      ? `Run ${runNumber}: created tenants ${customer.id} and ${supplier.id}; they trust each other for "orders" and share "orders-key".`
      : `Run ${runNumber}: reopened tenants ${customer.id} and ${supplier.id} from disk with their passwords (${count(runNumber - 1, 'order')} already there).`)

    const item = ITEMS[(runNumber - 1) % ITEMS.length]!
    const order = await customerOrders.createDocument<Order>({ data: { item, quantity: 1 + (runNumber % 3), status: 'pending', placedInRun: runNumber } })
    log(`1. The customer places order ${short(order.getId())}: ${item}.`)

    const customerStates = await customer.syncStates()
    const toSupplier = await incrementalSync(customerOrders, supplierOrders, await customerStates.get('orders->globex-supply'))
    await customerStates.put('orders->globex-supply', toSupplier)
    log(`2. Incremental sync customer → supplier: ${entries(toSupplier.lastSent)} sent (${toSupplier.totalSent} over all runs).`)

    let confirmed = 0
    for (const id of await supplierOrders.getAllDocumentIds()) {
      const doc = await supplierOrders.getDocument<Order>(id)
      if (doc?.getData().status !== 'pending') continue
      await supplierOrders.changeDoc<Order>(id, (d) => void (d.getData().status = 'confirmed'))
      confirmed++
    }
    log(`3. The supplier confirms ${count(confirmed, 'pending order')}.`)

    const supplierStates = await supplier.syncStates()
    const toCustomer = await incrementalSync(supplierOrders, customerOrders, await supplierStates.get('orders->acme-retail'))
    await supplierStates.put('orders->acme-retail', toCustomer)
    log(`4. Incremental sync supplier → customer: ${entries(toCustomer.lastSent)} sent (${toCustomer.totalSent} over all runs).`)

    const customerView = await readOrders(customerOrders)
    const supplierView = await readOrders(supplierOrders)
    log('')
    log('Orders as each side reads them:')
    for (const [id, o] of Object.entries(customerView)) log(`  ${short(id)} run ${o.placedInRun} ${o.item.padEnd(18)} customer: ${o.status.padEnd(9)} supplier: ${supplierView[id]?.status}`)
    log('')
    log(`Both sides agree: ${isDeepStrictEqual(customerView, supplierView) ? 'yes' : 'no'}. Run \`npm start\` again: it reopens the tenants and sends only the new order.`)
    await customer.close()
    await supplier.close()
    return { created, run: runNumber, sentToSupplier: toSupplier.lastSent, sentToCustomer: toCustomer.lastSent, customerOrders: customerView, supplierOrders: supplierView }
  } finally {
    await customerSide.close()
    await supplierSide.close()
  }
}

runMain(import.meta, run)
