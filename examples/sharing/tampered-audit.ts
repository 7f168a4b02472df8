// A tampered audit record is detected. A tenant's audit trail is a signed, hash-chained log in its
// own storage. Someone with access to that storage edits a record (hiding how much was sent),
// then tries deleting one, then swapping two: `verify()` names the problem and the record each
// time. A head kept elsewhere also catches a trail rolled back to an older, consistent state.
import { MemoryStoreFactory, MultiTenantSyncOrchestrator, TenantFactory, type AuditProblem } from '@weft/core'
import { packValue, unpackValue } from '@weft/core/backend'
import { runMain, type ExampleOptions } from '../helpers/runMain.ts'

export interface TamperedAuditResult {
  readonly records: number
  readonly intact: boolean
  /** What `verify()` reported after each kind of tampering (and the record it named). */
  readonly detected: {
    tampering: string
    ok: boolean
    problem: AuditProblem | null
    seq: number | null
    code: string | null
  }[]
}

export async function run(options: ExampleOptions = {}): Promise<TamperedAuditResult> {
  const log = options.log ?? (() => {})
  const storeFactory = new MemoryStoreFactory()
  const factory = new TenantFactory({ storeFactory, kdf: options.kdf })
  const bank = await factory.createTenant({ tenantId: 'fjord-bank', password: 'bank password' })
  const fintech = await factory.createTenant({ tenantId: 'ledgerly', password: 'fintech password' })
  await bank.keyBag.generateKey('accounts-key')
  const accounts = await bank.openDB('accounts', { keyId: 'accounts-key' })
  const offer = await bank.sharing.share({
    partner: fintech.publicProfile(),
    databases: ['accounts'],
    keys: ['accounts-key'],
  })
  await fintech.sharing.accept(offer)
  const orchestrator = new MultiTenantSyncOrchestrator()
  await orchestrator.addRelationship('bank→fintech', bank, fintech, ['accounts'], {
    direction: 'push',
    grantId: offer.grant.id,
  })
  for (let i = 0; i < 3; i++) {
    await accounts.createDocument({ data: { account: `NO-${i}`, balance: 1000 * i } })
    await orchestrator.syncAll()
  }
  await bank.sharing.revoke(offer.grant.id)
  await orchestrator.syncAll()
  await orchestrator.stop()

  const trail = await bank.audit.query()
  const anchor = await bank.audit.head() // e.g. handed to an auditor
  log(`Weft example: ${bank.id}'s audit trail has ${trail.length} records: ${trail.map((r) => r.action).join(', ')}`)
  const first = await bank.audit.verify()
  log(`verify(): ${first.ok ? 'intact' : 'tampered'}`)

  // Someone with access to the storage backend (not to the bank's keys) edits it directly.
  const kv = await storeFactory.openKeyValueStore('weft-audit')
  const keys = await kv.keys(`${bank.id}/r/`)
  const detected: TamperedAuditResult['detected'] = []
  const check = async (tampering: string, restore: () => Promise<void>, expectedHead?: typeof anchor) => {
    const v = await bank.audit.verify(expectedHead ? { expectedHead } : {})
    detected.push(
      v.ok
        ? { tampering, ok: true, problem: null, seq: null, code: null }
        : { tampering, ok: false, problem: v.problem, seq: v.seq, code: v.error.code },
    )
    log(`  ${tampering.padEnd(44)} → ${v.ok ? 'not detected' : `${v.error.code}: ${v.problem} at record ${v.seq}`}`)
    await restore()
  }

  const syncKey = keys[trail.findIndex((r) => r.action === 'sync')]!
  const original = (await kv.get(syncKey))!
  await kv.put(syncKey, packValue({ ...unpackValue<Record<string, unknown>>(original, 1 << 20), sent: 0 }))
  await check('edit a sync record (sent: 0)', () => kv.put(syncKey, original))

  const removedKey = keys[2]!
  const removed = (await kv.get(removedKey))!
  await kv.delete(removedKey)
  await check('delete record 2', () => kv.put(removedKey, removed))

  const [a, b] = [(await kv.get(keys[3]!))!, (await kv.get(keys[4]!))!]
  await kv.put(keys[3]!, b)
  await kv.put(keys[4]!, a)
  await check('swap records 3 and 4', async () => {
    await kv.put(keys[3]!, a)
    await kv.put(keys[4]!, b)
  })

  const tail = await Promise.all(keys.slice(-2).map(async (k) => [k, (await kv.get(k))!] as const))
  const head = (await kv.get(`${bank.id}/head`))!
  for (const [k] of tail) await kv.delete(k)
  await check('cut off the last two records (the head names the last)', async () => {
    for (const [k, v] of tail) await kv.put(k, v)
    await kv.put(`${bank.id}/head`, head)
  })

  log(`Restored: ${(await bank.audit.verify({ expectedHead: anchor! })).ok ? 'intact again' : 'still tampered'}`)
  await factory.close()
  return { records: trail.length, intact: first.ok, detected }
}

runMain(import.meta, run)
