// The customer of examples/sharing/relayed-partners.ts, in a process of its own: its own tenant,
// storage, orchestrator and relay, and nothing shared with the supplier but the server's URL.
// It speaks JSON lines: commands on stdin, answers on stdout.
import { createInterface } from 'node:readline'
import {
  asDocId,
  MultiTenantSyncOrchestrator,
  TenantFactory,
  TEST_KDF,
  type Database,
  type GrantOffer,
} from '@weft/core'
import { GrantRelay } from '@weft/client'

type Command =
  | { type: 'offer'; offer: GrantOffer }
  | { type: 'sync' }
  | { type: 'edit'; docId: string; status: string }
  | { type: 'exit' }

const url = process.env.WEFT_URL!
const factory = new TenantFactory(process.env.WEFT_FAST_KDF ? { kdf: TEST_KDF } : {})
const customer = await factory.createTenant({ tenantId: 'initech-stores', password: 'customer password' })
const relay = new GrantRelay({ url, tenant: customer })
const orchestrator = new MultiTenantSyncOrchestrator()
const orders: Database = await customer.openDB('orders')
const say = (message: unknown) => process.stdout.write(JSON.stringify(message) + '\n')

say({ type: 'profile', profile: customer.publicProfile() })
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as Command
  if (command.type === 'offer') {
    const grant = await customer.sharing.accept(command.offer)
    await orchestrator.addRelationship('from-supplier', customer, await relay.peer(grant.id), ['orders'], {
      grantId: grant.id,
      direction: 'both',
    })
    say({ type: 'accepted', grantId: grant.id })
  } else if (command.type === 'sync') {
    const r = await orchestrator.syncAll()
    const docs: Record<string, unknown> = {}
    for (const id of await orders.getAllDocumentIds()) docs[id] = (await orders.getDocument(id))!.toJSON()
    say({ type: 'synced', sent: r.sent, received: r.received, failed: r.failed.map((f) => f.error.code), docs })
  } else if (command.type === 'edit') {
    await orders.changeDoc<{ status: string }>(
      asDocId(command.docId),
      (d) => void (d.getData().status = command.status),
    )
    say({ type: 'edited' })
  } else break
}
await orchestrator.stop()
await relay.close()
await customer.close()
await factory.close()
process.stdin.destroy()
