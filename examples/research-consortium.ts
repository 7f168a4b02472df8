// Multi-party research: four institutions share a `study` database under one consortium key
// (a password-protected blob every institution imports) and trust each other as partners. No
// one talks to everyone: each syncs only with its neighbours in a ring, round after round, until
// a round moves nothing. Entries relayed through a neighbour stay verifiable, so every
// institution ends with the same documents, including a protocol all four edited concurrently.
import { TenantFactory, syncDatabases, type Database, type Tenant } from '@weft/core'
import { count, entries } from './helpers/format.ts'
import { readAll } from './helpers/readAll.ts'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

const INSTITUTIONS = ['uni-oslo', 'inst-pasteur', 'kyoto-med', 'mit-biolab'] as const
const CONSORTIUM_PASSWORD = 'consortium passphrase'

export interface ResearchConsortiumResult {
  readonly institutions: string[]
  /** Sync rounds (around the ring) until one moved nothing, for each phase. */
  readonly roundsToConverge: number[]
  /** What each institution reads at the end: id → data (all equal when converged). */
  readonly views: Record<string, Record<string, unknown>>
  /** Entry hashes each institution's store holds, sorted (all equal when converged). */
  readonly stores: Record<string, string[]>
  readonly protocolId: string
}

export async function run(options: ExampleOptions = {}): Promise<ResearchConsortiumResult> {
  const log = options.log ?? (() => {})
  log('Weft example: four institutions converge')
  log('')
  const factory = new TenantFactory({ kdf: options.kdf })
  const consortiumKey = await factory.createSymmetricEncryptedPrivateKey(CONSORTIUM_PASSWORD)
  const tenants: Tenant[] = []
  for (const id of INSTITUTIONS) tenants.push(await factory.createTenant({ tenantId: id, password: `${id} password` }))
  for (const t of tenants) {
    await t.keyBag.importKey('consortium', consortiumKey, CONSORTIUM_PASSWORD)
    for (const other of tenants) if (other !== t) await t.addPartner(other.publicProfile(), { dbs: ['study'] })
  }
  const dbs: Database[] = []
  for (const t of tenants) dbs.push(await t.openDB('study', { keyId: 'consortium' }))
  log(`${tenants.length} institutions, each trusting the other three for "study" and holding the consortium key.`)

  const protocol = await dbs[0]!.createDocument({ data: { title: 'Shared trial protocol', enrolment: {} } })
  for (const [i, db] of dbs.entries()) {
    await db.createDocument({ data: { site: INSTITUTIONS[i], finding: `Observation ${i + 1}` } })
  }
  log(`${INSTITUTIONS[0]} drafts a protocol; every institution records a finding.`)

  const ring = async (phase: string): Promise<number> => {
    for (let round = 1; ; round++) {
      let moved = 0
      for (let i = 0; i < dbs.length; i++) {
        const { aToB, bToA } = await syncDatabases(dbs[i]!, dbs[(i + 1) % dbs.length]!)
        moved += aToB.transferred + bToA.transferred
      }
      log(`  ${phase}, round ${round}: ${entries(moved)} moved between neighbours`)
      if (moved === 0) return round
    }
  }
  const roundsToConverge = [await ring('Share')]

  for (const [i, db] of dbs.entries()) {
    await db.changeDoc(protocol.getId(), (d) => {
      d.getData().enrolment[INSTITUTIONS[i]!] = 10 * (i + 1)
    })
  }
  log('Each institution, offline, adds its enrolment figure to the protocol.')
  roundsToConverge.push(await ring('Merge'))

  const views: Record<string, Record<string, unknown>> = {}
  const stores: Record<string, string[]> = {}
  for (const [i, db] of dbs.entries()) {
    views[INSTITUTIONS[i]!] = await readAll(db)
    stores[INSTITUTIONS[i]!] = (await db.getStore().getAllChangeHashes()).sort()
  }
  const protocolView = views[INSTITUTIONS[0]]![protocol.getId()]
  log(`Every institution now reads ${count(Object.keys(views[INSTITUTIONS[0]]!).length, 'document')}.`)
  log(`The protocol everywhere: ${JSON.stringify(protocolView)}`)

  for (const t of tenants) await t.close()
  await factory.close()
  return {
    institutions: [...INSTITUTIONS],
    roundsToConverge,
    views,
    stores,
    protocolId: protocol.getId(),
  }
}

runMain(import.meta, run)
