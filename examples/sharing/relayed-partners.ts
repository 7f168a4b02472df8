// A supplier and a customer in two processes, sharing nothing but a Weft server. The supplier
// issues a read + write grant; the offer travels as JSON; each side runs its own orchestrator with
// the other as a relay peer. The server only ever holds the grant's entries, encrypted and
// signed, in a space the supplier opened to the customer alone. Revoking shuts the customer out.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ErrorCodes, MultiTenantSyncOrchestrator, TenantFactory, type PublicProfile } from '@weft/core'
import { GrantRelay } from '@weft/client'
import { WeftServer } from '@weft/server'
import { short } from '../helpers/format.ts'
import { runMain, type ExampleOptions } from '../helpers/runMain.ts'

type Order = { item: string; status: string }

export interface RelayedPartnersResult {
  readonly orderId: string
  /** What the customer's process saw after each of its rounds. */
  readonly customerRounds: { sent: number; received: number; failed: string[]; docs: Record<string, Order> }[]
  /** The supplier's copy of the order after the customer confirmed it. */
  readonly supplierView: Order
  /** The supplier's round right after revoking. */
  readonly supplierAfterRevoke: string[]
  readonly lateOrderId: string
}

export async function run(options: ExampleOptions = {}): Promise<RelayedPartnersResult> {
  const log = options.log ?? (() => {})
  const server = await WeftServer.start()
  const factory = new TenantFactory({ kdf: options.kdf })
  const supplier = await factory.createTenant({ tenantId: 'globex-supply', password: 'supplier password' })
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./helpers/relayedCustomer.ts', import.meta.url))],
    {
      env: { ...process.env, WEFT_URL: server.url, ...(options.kdf ? { WEFT_FAST_KDF: '1' } : {}) },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const ask = async <T>(command?: unknown): Promise<T> => {
    if (command) child.stdin!.write(JSON.stringify(command) + '\n')
    const next = await lines.next()
    if (next.done) throw new Error('the customer process ended early')
    return JSON.parse(next.value as string) as T
  }
  const relay = new GrantRelay({ url: server.url, tenant: supplier })
  const orchestrator = new MultiTenantSyncOrchestrator()
  const customerRounds: RelayedPartnersResult['customerRounds'] = []
  const customerSync = async (label: string) => {
    const r = await ask<RelayedPartnersResult['customerRounds'][number]>({ type: 'sync' })
    customerRounds.push({ sent: r.sent, received: r.received, failed: r.failed, docs: r.docs })
    log(
      `   customer round (${label}): sent ${r.sent}, received ${r.received}${r.failed.length ? `, refused: ${r.failed.join(', ')}` : ''}`,
    )
  }
  try {
    log('Weft example: a supplier and a customer in two processes, through a relay server')
    const { profile } = await ask<{ profile: PublicProfile }>()
    log(`1. The customer's process started and published its profile (${profile.tenantId}).`)

    await supplier.keyBag.generateKey('orders-key')
    const orders = await supplier.openDB('orders', { keyId: 'orders-key' })
    const order = await orders.createDocument<Order>({ data: { item: 'steel shelving', status: 'offered' } })
    const offer = await supplier.sharing.share({
      partner: profile,
      databases: ['orders'],
      keys: ['orders-key'],
      permissions: ['read', 'write'],
    })
    const grantId = offer.grant.id
    await ask({ type: 'offer', offer })
    log(
      `2. The supplier issues grant ${short(grantId)} (orders, read + write); the customer accepts it in its own process.`,
    )

    await orchestrator.addRelationship('to-customer', supplier, await relay.peer(grantId), ['orders'], {
      grantId,
      direction: 'both',
    })
    const out = await orchestrator.syncAll()
    log(`3. The supplier's round opens the grant's space on the server and sends ${out.sent} entry.`)
    await customerSync('order in')

    await ask({ type: 'edit', docId: order.getId(), status: 'accepted' })
    log('4. The customer accepts the offer in its copy.')
    await customerSync('acceptance out')
    const back = await orchestrator.syncAll()
    const supplierView = (await orders.getDocument<Order>(order.getId()))!.toJSON()
    log(`5. The supplier's round receives ${back.received} entry: the order is now ${supplierView.status}.`)

    await supplier.sharing.revoke(grantId)
    const late = await orders.createDocument<Order>({ data: { item: 'after revocation', status: 'offered' } })
    const refused = await orchestrator.syncAll()
    const supplierAfterRevoke = refused.failed.map((f) => f.error.code)
    log(
      `6. The supplier revokes the grant; its next round is refused (${supplierAfterRevoke.join(', ')}) and shuts the customer out of the space.`,
    )
    await customerSync('after revocation')
    const lastRound = customerRounds.at(-1)!
    log(
      `7. The customer's process cannot reach the space any more and never sees order ${short(late.getId())}` +
        ` (${lastRound.failed.includes(ErrorCodes.GRANT_REVOKED) ? 'refused as revoked' : 'unexpected'}).`,
    )
    return { orderId: order.getId(), customerRounds, supplierView, supplierAfterRevoke, lateOrderId: late.getId() }
  } finally {
    child.stdin!.write(JSON.stringify({ type: 'exit' }) + '\n')
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))
    await orchestrator.stop()
    await relay.close()
    await supplier.close()
    await factory.close()
    await server.close()
  }
}

runMain(import.meta, run)
