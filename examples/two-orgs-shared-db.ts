// Two organisations share one database. Each writes its own documents into its copy of
// `projects`; B pulls from A, then A pulls from B, and both end up reading all four documents.
// Reading across tenants takes trust (each side adds the other as a partner for the database)
// and a key (A generates `projects-key` and seals it to B).
import { TenantFactory } from '@weft/core'
import { count, entries, short } from './helpers/format.ts'
import { readAll } from './helpers/readAll.ts'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

type Project = { title: string; owner: string }

export interface TwoOrgsResult {
  /** What each side reads at the end: document id → data. */
  readonly alpha: Record<string, Project>
  readonly beta: Record<string, Project>
  /** Entries B pulled from A, then entries A pulled from B. */
  readonly betaPulled: number
  readonly alphaPulled: number
}

export async function run(options: ExampleOptions = {}): Promise<TwoOrgsResult> {
  const log = options.log ?? (() => {})
  log('Weft example: two organisations share a database')
  log('')
  const factory = new TenantFactory({ kdf: options.kdf })
  const alpha = await factory.createTenant({ tenantId: 'alpha-labs', password: 'alpha password' })
  const beta = await factory.createTenant({ tenantId: 'beta-works', password: 'beta password' })

  await alpha.addPartner(beta.publicProfile(), { dbs: ['projects'] })
  await beta.addPartner(alpha.publicProfile(), { dbs: ['projects'] })
  await alpha.keyBag.generateKey('projects-key')
  await beta.acceptSharedKey(alpha.shareKey('projects-key', beta.publicProfile()))

  const alphaDb = await alpha.openDB('projects', { keyId: 'projects-key' })
  const betaDb = await beta.openDB('projects', { keyId: 'projects-key' })
  for (const title of ['Bridge survey', 'Load tests'])
    await alphaDb.createDocument<Project>({ data: { title, owner: alpha.id } })
  for (const title of ['Steel order', 'Site plan'])
    await betaDb.createDocument<Project>({ data: { title, owner: beta.id } })
  log(`${alpha.id} and ${beta.id} each created 2 documents in their "projects" database.`)

  const betaPull = await betaDb.pullChangesFrom(alphaDb)
  log(`${beta.id} pulls from ${alpha.id}: ${entries(betaPull.transferred)} copied.`)
  const alphaPull = await alphaDb.pullChangesFrom(betaDb)
  log(`${alpha.id} pulls from ${beta.id}: ${entries(alphaPull.transferred)} copied.`)

  const alphaView = await readAll<Project>(alphaDb)
  const betaView = await readAll<Project>(betaDb)
  for (const [name, view] of [
    [alpha.id, alphaView],
    [beta.id, betaView],
  ] as const) {
    log(`${name} now reads ${count(Object.keys(view).length, 'document')}:`)
    for (const [id, p] of Object.entries(view)) log(`  ${short(id)} ${p.title} (by ${p.owner})`)
  }

  await alpha.close()
  await beta.close()
  await factory.close()
  return { alpha: alphaView, beta: betaView, betaPulled: betaPull.transferred, alphaPulled: alphaPull.transferred }
}

runMain(import.meta, run)
