import {
  incrementalSync,
  MemoryStoreFactory,
  MultiTenantSyncOrchestrator,
  TenantFactory,
  TEST_KDF,
  type Database,
  type SyncState,
} from '@weft/core'
import { GrantRelay, registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'
import { fmtMs, median, progress, settle, timeMs, type Figure } from './report.ts'

const NEW_ENTRIES = 1_000
const DOCS = 100
const RUNS = 3
const TARGET = 1.5

async function writeEntries(db: Database, run: number): Promise<void> {
  for (let d = 0; d < DOCS; d++) {
    const doc = await db.createDocument({ data: { run, d, n: 0 } })
    for (let c = 1; c < NEW_ENTRIES / DOCS; c++) await db.changeDoc(doc, (draft) => void (draft.getData().n = c))
  }
}

/**
 * A grant between two tenants with their own storage and orchestrators, through a server on
 * loopback (`GrantRelay`): the issuer's round pushes 1,000 new entries to the grant's space and
 * the partner's round pulls them. The reference moves the same number of entries through the same
 * server with bare `incrementalSync` to and from a `RemoteChangeStore` (no grants, no orchestrator).
 */
export async function benchRelayRound(): Promise<Figure> {
  const server = await WeftServer.start({ limits: { requestsPerSecond: 100_000, burst: 100_000 } })
  const factory = new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF })
  const issuer = await factory.createTenant({ tenantId: 'bench-issuer', password: 'bench' })
  const partner = await factory.createTenant({ tenantId: 'bench-partner', password: 'bench' })
  await issuer.keyBag.generateKey('k')
  const source = await issuer.openDB('orders', { keyId: 'k' })
  await source.createDocument({ data: { warm: true } })
  const offer = await issuer.sharing.share({ partner: partner.publicProfile(), databases: ['orders'], keys: ['k'] })
  await partner.sharing.accept(offer)
  const grantId = offer.grant.id
  const issuerRelay = new GrantRelay({ url: server.url, tenant: issuer })
  const partnerRelay = new GrantRelay({ url: server.url, tenant: partner })
  const issuerSide = new MultiTenantSyncOrchestrator()
  const partnerSide = new MultiTenantSyncOrchestrator()
  await issuerSide.addRelationship('out', issuer, await issuerRelay.peer(grantId), ['orders'], {
    grantId,
    direction: 'push',
  })
  await partnerSide.addRelationship('in', partner, await partnerRelay.peer(grantId), ['orders'], {
    grantId,
    direction: 'pull',
  })
  await issuerSide.syncAll()
  await partnerSide.syncAll()

  // The reference: the same path without grants or orchestrators, a tenant of its own on the server.
  const refIssuer = await factory.createTenant({ tenantId: 'bench-ref-issuer', password: 'bench' })
  const refPartner = await factory.createTenant({ tenantId: 'bench-ref-partner', password: 'bench' })
  await refIssuer.keyBag.generateKey('k')
  const refSource = await refIssuer.openDB('orders', { keyId: 'k' })
  await refPartner.addPartner(refIssuer.publicProfile(), { dbs: ['orders'] })
  await refPartner.acceptSharedKey(refIssuer.shareKey('k', refPartner.publicProfile()))
  const refTarget = await refPartner.openDB('orders')
  await registerMembers({
    url: server.url,
    tenant: 'bench-ref-space',
    admin: refIssuer.serverSigner(),
    seq: 1,
    add: [refPartner.signingKey],
  })
  const refOut = new RemoteChangeStore({
    connection: new ServerConnection({ url: server.url, tenant: 'bench-ref-space', key: refIssuer.serverSigner() }),
    db: 'orders',
  })
  const refIn = new RemoteChangeStore({
    connection: new ServerConnection({ url: server.url, tenant: 'bench-ref-space', key: refPartner.serverSigner() }),
    db: 'orders',
  })
  let push: SyncState | undefined
  let pull: SyncState | undefined

  const relayed: number[] = []
  const bare: number[] = []
  for (let run = 0; run < RUNS; run++) {
    await writeEntries(source, run)
    await writeEntries(refSource, run)
    await settle()
    relayed.push(
      await timeMs(async () => {
        const out = await issuerSide.syncAll()
        const inbound = await partnerSide.syncAll()
        if (out.sent !== NEW_ENTRIES || inbound.received !== NEW_ENTRIES) {
          throw new Error(
            `relay bench: sent ${out.sent}, received ${inbound.received} (${[...out.failed, ...inbound.failed][0]?.error.message ?? ''})`,
          )
        }
      }),
    )
    await settle()
    bare.push(
      await timeMs(async () => {
        push = await incrementalSync(refSource, refOut, push)
        pull = await incrementalSync(refIn, refTarget, pull)
        if (push.lastSent !== NEW_ENTRIES || pull.lastSent !== NEW_ENTRIES)
          throw new Error(`relay bench: reference moved ${push.lastSent}/${pull.lastSent}`)
      }),
    )
    progress(`relay run ${run + 1}/${RUNS}: two rounds ${fmtMs(relayed[run]!)}, bare push + pull ${fmtMs(bare[run]!)}`)
  }
  await issuerSide.stop()
  await partnerSide.stop()
  await issuerRelay.close()
  await partnerRelay.close()
  await refOut.close()
  await refIn.close()
  await factory.close()
  await server.close()
  const ratio = median(relayed) / median(bare)
  return {
    name: `grant through a relay server, ${NEW_ENTRIES.toLocaleString('en-US')} new entries`,
    value: fmtMs(median(relayed)),
    reference: `${fmtMs(median(bare))} bare push + pull`,
    ratio,
    target: `<= ${TARGET}x`,
    met: ratio <= TARGET,
    notes: [
      `issuer's round (grant check, push to the grant's space) then partner's round (sign-in, mailbox, pull, verify, materialise), each tenant with its own orchestrator; the reference pushes and pulls the same entries with incrementalSync through the same loopback server`,
      `median of ${RUNS}; relayed ${relayed.map(fmtMs).join(', ')}; bare ${bare.map(fmtMs).join(', ')}`,
    ],
  }
}
