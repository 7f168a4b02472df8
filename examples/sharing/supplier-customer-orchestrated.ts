// A supplier–customer pair kept in sync by the MultiTenantSyncOrchestrator. The customer shares
// its `orders` database with the supplier under a grant with `read` and `write`: the supplier
// receives the orders and its confirmations are accepted back. Every round is checked by the
// customer (the grant's issuer) and written to both audit trails.
import { MultiTenantSyncOrchestrator, TenantFactory } from '@weft/core'
import { count, short } from '../helpers/format.ts'
import { runMain, type ExampleOptions } from '../helpers/runMain.ts'

type Order = { item: string; quantity: number; status: string; deliveryDate?: string }

export interface OrchestratedSupplierCustomerResult {
  readonly orderId: string
  readonly customerView: Order
  readonly supplierView: Order
  /** Per round: entries the customer sent and received. */
  readonly rounds: { sent: number; received: number }[]
  readonly status: { sent: number; received: number; upToDate: boolean; lastError: string | null }
  /** How the supplier lists the order: shared, with its grant. */
  readonly supplierListing: {
    own: number
    shared: { id: string; sharedBy: string | null; permissions: readonly string[] }[]
  }
  readonly customerAudit: string[]
  readonly supplierAudit: string[]
}

export async function run(options: ExampleOptions = {}): Promise<OrchestratedSupplierCustomerResult> {
  const log = options.log ?? (() => {})
  const factory = new TenantFactory({ kdf: options.kdf })
  const customer = await factory.createTenant({ tenantId: 'acme-retail', password: 'customer password' })
  const supplier = await factory.createTenant({ tenantId: 'globex-supply', password: 'supplier password' })
  await customer.keyBag.generateKey('orders-key')
  const orders = await customer.openDB('orders', { keyId: 'orders-key' })
  const supplierOrders = await supplier.openDB('orders')

  log('Weft example: a customer and a supplier, kept in sync by the orchestrator under a grant')
  const offer = await customer.sharing.share({
    partner: supplier.publicProfile(),
    databases: ['orders'],
    keys: ['orders-key'],
    permissions: ['read', 'write'],
  })
  log(
    `1. ${customer.id} issues grant ${short(offer.grant.id)} to ${supplier.id}: orders, read + write, key sealed to the supplier.`,
  )
  await supplier.sharing.accept(offer)
  log(`2. ${supplier.id} accepts: it checked the signature, trusts the customer for "orders" and imported the key.`)

  const orchestrator = new MultiTenantSyncOrchestrator()
  await orchestrator.addRelationship('acme↔globex', customer, supplier, ['orders'], {
    direction: 'both',
    grantId: offer.grant.id,
  })
  const rounds: { sent: number; received: number }[] = []
  const round = async (label: string) => {
    const r = await orchestrator.syncAll()
    rounds.push({ sent: r.sent, received: r.received })
    log(
      `   round (${label}): ${count(r.sent, 'entry', 'entries')} sent, ${count(r.received, 'entry', 'entries')} received`,
    )
  }

  const order = await orders.createDocument<Order>({
    data: { item: 'oak dining table', quantity: 2, status: 'pending' },
  })
  log(`3. The customer creates order ${short(order.getId())}.`)
  await round('order out')
  await supplierOrders.changeDoc<Order>(order.getId(), (d) => {
    d.getData().status = 'confirmed'
    d.getData().deliveryDate = '2031-04-01'
  })
  log('4. The supplier confirms it and sets a delivery date.')
  await round('confirmation back')
  await round('nothing new')

  const customerView = (await orders.getDocument<Order>(order.getId()))!.toJSON()
  const supplierView = (await supplierOrders.getDocument<Order>(order.getId()))!.toJSON()
  const db = orchestrator.getStatus().relationships[0]!.databases[0]!
  const listing = await supplier.sharing.listDocuments('orders')
  const customerAudit = (await customer.audit.query()).map((r) => r.action)
  const supplierAudit = (await supplier.audit.query()).map((r) => r.action)
  log('')
  log(`Customer reads: ${JSON.stringify(customerView)}`)
  log(`Supplier reads: ${JSON.stringify(supplierView)}`)
  log(`Status of "orders": sent ${db.sent}, received ${db.received}, up to date: ${db.upToDate}`)
  log(`Customer audit trail: ${customerAudit.join(', ')} (verifies: ${(await customer.audit.verify()).ok})`)
  log(`Supplier audit trail: ${supplierAudit.join(', ')}`)

  await orchestrator.stop()
  await customer.close()
  await supplier.close()
  await factory.close()
  return {
    orderId: order.getId(),
    customerView,
    supplierView,
    rounds,
    status: { sent: db.sent, received: db.received, upToDate: db.upToDate, lastError: db.lastError?.code ?? null },
    supplierListing: {
      own: listing.own.length,
      shared: listing.shared.map((d) => ({
        id: d.id,
        sharedBy: d.via?.sharedBy ?? null,
        permissions: d.via?.permissions ?? [],
      })),
    },
    customerAudit,
    supplierAudit,
  }
}

runMain(import.meta, run)
