// `allowedEnvironments`: production data only for production. A payments company shares its
// `merchants` database with a partner's production tenant; the partner's staging tenant (another
// scope of the same organisation: `org:server:project:environment:codeHash`) is refused, and so
// is a partner without a scope that runs its orchestrator in a development environment.
import { MultiTenantSyncOrchestrator, TenantFactory, type Tenant } from '@weft/core'
import { runMain, type ExampleOptions } from '../helpers/runMain.ts'

export interface AllowedEnvironmentsResult {
  /** Relationship → null when it synced, or the error code. */
  readonly outcomes: Record<string, string | null>
  /** Entries each partner tenant holds at the end. */
  readonly entries: Record<string, number>
}

export async function run(options: ExampleOptions = {}): Promise<AllowedEnvironmentsResult> {
  const log = options.log ?? (() => {})
  const factory = new TenantFactory({ kdf: options.kdf })
  const payments = await factory.createTenant({
    tenantId: { org: 'paycore', environment: 'production' },
    password: 'paycore password',
  })
  const production = await factory.createTenant({
    tenantId: { org: 'shopfront', environment: 'production' },
    password: 'shop password',
  })
  const staging = await factory.createTenant({
    tenantId: { org: 'shopfront', environment: 'staging' },
    password: 'shop staging password',
  })
  const analytics = await factory.createTenant({ tenantId: 'metrics-inc', password: 'metrics password' })
  await payments.keyBag.generateKey('merchants-key')
  const merchants = await payments.openDB('merchants', { keyId: 'merchants-key' })
  await merchants.createDocument({ data: { merchant: 'M-77', iban: 'NO93 8601 1117 947' } })
  log(`Weft example: ${payments.id} shares "merchants" for production only`)

  const outcomes: Record<string, string | null> = {}
  const partners: Tenant[] = [production, staging, analytics]
  const grants = new Map<Tenant, string>()
  for (const p of partners) {
    const offer = await payments.sharing.share({
      partner: p.publicProfile(),
      databases: ['merchants'],
      keys: ['merchants-key'],
      allowedEnvironments: ['production'],
    })
    await p.sharing.accept(offer)
    grants.set(p, offer.grant.id)
  }
  // The source runs relationships to the scoped tenants: their environment is part of their id.
  const fromSource = new MultiTenantSyncOrchestrator()
  for (const p of [production, staging]) {
    await fromSource.addRelationship(`to ${p.id}`, payments, p, ['merchants'], {
      direction: 'push',
      grantId: grants.get(p)!,
    })
  }
  // A partner without a scope runs its own orchestrator, which says where it runs.
  const devMachine = new MultiTenantSyncOrchestrator({ environment: 'development' })
  await devMachine.addRelationship('metrics (development)', analytics, payments, ['merchants'], {
    direction: 'pull',
    grantId: grants.get(analytics)!,
  })
  const prodMachine = new MultiTenantSyncOrchestrator({ environment: 'production' })
  await prodMachine.addRelationship('metrics (production)', analytics, payments, ['merchants'], {
    direction: 'pull',
    grantId: grants.get(analytics)!,
  })
  for (const o of [fromSource, devMachine, prodMachine]) {
    const r = await o.syncAll()
    for (const id of r.synced) outcomes[id] = null
    for (const f of r.failed) outcomes[f.id] = f.error.code
  }
  const entries: Record<string, number> = {}
  for (const p of partners) entries[p.id] = (await (await p.openDB('merchants')).getStore().getAllChangeHashes()).length
  for (const [id, code] of Object.entries(outcomes)) log(`  ${id.padEnd(34)} ${code ?? 'synced'}`)

  for (const o of [fromSource, devMachine, prodMachine]) await o.stop()
  await factory.close()
  return { outcomes, entries }
}

runMain(import.meta, run)
