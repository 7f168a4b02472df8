// Supplier and customer (this is `npm start`). The customer creates an order, it syncs to the
// supplier, the supplier confirms it, and the confirmation syncs back. Each organisation runs its
// own TenantFactory, as it would on its own machine: all that crosses between them is public
// profiles, one sealed key and signed, encrypted change entries.
import { TenantFactory } from '@weft/core'
import { count, entries, short } from './helpers/format.ts'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

type Order = { item: string; quantity: number; status: string; deliveryDate?: string }

export interface SupplierCustomerResult {
  readonly customerId: string
  readonly supplierId: string
  readonly orderId: string
  /** Entries copied customer → supplier, and supplier → customer. */
  readonly sentToSupplier: number
  readonly sentToCustomer: number
  /** The order as each side reads it at the end. */
  readonly customerView: Order
  readonly supplierView: Order
  /** Entry hashes each side's store holds at the end, sorted. */
  readonly customerEntries: string[]
  readonly supplierEntries: string[]
}

export async function run(options: ExampleOptions = {}): Promise<SupplierCustomerResult> {
  const log = options.log ?? (() => {})
  const customerSide = new TenantFactory({ kdf: options.kdf })
  const supplierSide = new TenantFactory({ kdf: options.kdf })
  const customer = await customerSide.createTenant({ tenantId: 'acme-retail', password: 'customer password' })
  const supplier = await supplierSide.createTenant({ tenantId: 'globex-supply', password: 'supplier password' })

  // Trust: each side accepts the other's signed entries in its `orders` database.
  await customer.addPartner(supplier.publicProfile(), { dbs: ['orders'] })
  await supplier.addPartner(customer.publicProfile(), { dbs: ['orders'] })
  // Key: orders are encrypted under a named key, sealed by the customer to the supplier.
  await customer.keyBag.generateKey('orders-key')
  await supplier.acceptSharedKey(customer.shareKey('orders-key', supplier.publicProfile()))

  const customerOrders = await customer.openDB('orders', { keyId: 'orders-key' })
  const supplierOrders = await supplier.openDB('orders', { keyId: 'orders-key' })

  log('Weft example: a customer and a supplier share an order')
  log('')
  log('Two organisations, each a tenant with its own signing identity and key bag:')
  log(`  customer  ${customer.id.padEnd(14)} signing key ${customer.publicProfile().signingKey.slice(0, 12)}…`)
  log(`  supplier  ${supplier.id.padEnd(14)} signing key ${supplier.publicProfile().signingKey.slice(0, 12)}…`)
  log('Each trusts the other for the "orders" database, and the customer sealed the key')
  log('"orders-key" to the supplier. Orders are encrypted under that key and signed by their author.')
  log('')

  const order = await customerOrders.createDocument<Order>({
    data: { item: 'oak dining table', quantity: 2, status: 'pending' },
  })
  const orderId = order.getId()
  log(`1. The customer creates order ${short(orderId)}: ${JSON.stringify(order.toJSON())}`)

  const toSupplier = await supplierOrders.pullChangesFrom(customerOrders)
  const received = await supplierOrders.getDocument<Order>(orderId)
  log(
    `2. Sync customer → supplier: ${entries(toSupplier.transferred)} copied, ${toSupplier.materialised.applied.length} applied.`,
  )
  log(`   The supplier reads the order: status "${received?.getData().status}".`)

  await supplierOrders.changeDoc<Order>(orderId, (draft) => {
    draft.getData().status = 'confirmed'
    draft.getData().deliveryDate = '2026-12-01'
  })
  log('3. The supplier sets status "confirmed" and a delivery date.')

  const toCustomer = await customerOrders.pullChangesFrom(supplierOrders)
  log(
    `4. Sync supplier → customer: ${entries(toCustomer.transferred)} copied, ${toCustomer.materialised.applied.length} applied.`,
  )

  const customerView = (await customerOrders.getDocument<Order>(orderId))!.toJSON()
  const supplierView = (await supplierOrders.getDocument<Order>(orderId))!.toJSON()
  const customerEntries = (await customerOrders.getStore().getAllChangeHashes()).sort()
  const supplierEntries = (await supplierOrders.getStore().getAllChangeHashes()).sort()
  log('')
  log('Final state')
  for (const [role, tenant, db, view, hashes] of [
    ['customer', customer, customerOrders, customerView, customerEntries],
    ['supplier', supplier, supplierOrders, supplierView, supplierEntries],
  ] as const) {
    const docs = (await db.getAllDocumentIds()).length
    const held = `${count(docs, 'document')}, ${entries(hashes.length)}`
    log(`  ${role} ${tenant.id}: ${held}; order ${short(orderId)} = ${JSON.stringify(view)}`)
  }
  log(`  Same entries on both sides: ${customerEntries.join() === supplierEntries.join() ? 'yes' : 'no'}.`)

  await customer.close()
  await supplier.close()
  await customerSide.close()
  await supplierSide.close()
  return {
    customerId: customer.id,
    supplierId: supplier.id,
    orderId,
    sentToSupplier: toSupplier.transferred,
    sentToCustomer: toCustomer.transferred,
    customerView,
    supplierView,
    customerEntries,
    supplierEntries,
  }
}

runMain(import.meta, run)
