// Queries, indexes, live queries, full-text search and history: a team's issue tracker. Issues
// are queried by status and priority through an index, a live query follows the open issues as a
// partner's edits arrive by sync, search finds issues by words of their titles, and an issue's
// history shows who changed it and what it looked like before.
import { syncDatabases, TenantFactory, type DocId } from '@weft/core'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

type Issue = { title: string; status: 'open' | 'closed'; priority: number }

export interface QueriesAndHistoryResult {
  /** Titles of the open issues by priority, highest first, and whether an index answered. */
  readonly openByPriority: string[]
  readonly usedIndex: string | undefined
  /** How many open issues the live query saw, result by result. */
  readonly liveCounts: number[]
  /** Titles that full-text search found for "login". */
  readonly searchHits: string[]
  /** The history of the login issue, newest first, and its status before the partner closed it. */
  readonly historyKinds: string[]
  readonly historyAuthors: string[]
  readonly statusBefore: string | undefined
  readonly statusNow: string | undefined
  /** The paths the diff between the two states touches. */
  readonly diffPaths: string[]
}

export async function run(options: ExampleOptions = {}): Promise<QueriesAndHistoryResult> {
  const log = options.log ?? (() => {})
  log('Weft example: queries, indexes, live queries, search and history')
  log('')
  const factory = new TenantFactory({ kdf: options.kdf })
  const team = await factory.createTenant({ tenantId: 'tracker-team', password: 'team password' })
  const partner = await factory.createTenant({ tenantId: 'tracker-partner', password: 'partner password' })
  await team.addPartner(partner.publicProfile(), { dbs: ['issues'] })
  await partner.addPartner(team.publicProfile(), { dbs: ['issues'] })
  await team.keyBag.generateKey('issues-key')
  await partner.acceptSharedKey(team.shareKey('issues-key', partner.publicProfile()))
  const ours = await team.openDB('issues', { keyId: 'issues-key' })
  const theirs = await partner.openDB('issues', { keyId: 'issues-key' })

  const ids: Record<string, DocId> = {}
  for (const [title, priority] of [
    ['Login fails with a long password', 3],
    ['Export to CSV', 1],
    ['Slow search on large boards', 2],
  ] as const)
    ids[title] = (await ours.createDocument<Issue>({ data: { title, status: 'open', priority } })).getId()
  await ours.createIndex('byStatusAndPriority', { fields: ['status', 'priority'] })
  const open = await ours.query({
    where: { status: 'open' },
    orderBy: { field: 'priority', direction: 'desc' },
  })
  const openByPriority = open.docs.map((d) => String(d.data.title))
  log(`Open issues, highest priority first: ${openByPriority.join('; ')} (index: ${open.usedIndex})`)

  const liveCounts: number[] = []
  const stop = ours.liveQuery({ where: { status: 'open' } }, (r) => liveCounts.push(r.docs.length))
  await ours.createSearchIndex({ fields: ['title'] })
  const searchHits: string[] = []
  for (const hit of await ours.search('login'))
    searchHits.push((await ours.getDocument<Issue>(hit.id))!.getData().title)
  log(`Search for "login": ${searchHits.join('; ')}`)

  // The partner closes the login issue on its side; the change arrives here by sync.
  const login = ids['Login fails with a long password']!
  await syncDatabases(ours, theirs)
  const before = (await ours.getDocument<Issue>(login))!.getHeads()
  await theirs.changeDoc<Issue>(login, (d) => void (d.getData().status = 'closed'))
  await syncDatabases(ours, theirs)
  stop()
  log(`The live query saw ${liveCounts.join(' then ')} open issues as the partner's edit arrived.`)

  const history = await ours.getDocumentHistory(login)
  const authorName = (key: string) =>
    key === team.publicProfile().signingKey ? team.id : key === partner.publicProfile().signingKey ? partner.id : key
  const historyAuthors = history.map((e) => authorName(e.author))
  log(`History of the login issue: ${history.map((e, i) => `${e.kind} by ${historyAuthors[i]}`).join(', ')}`)
  const then = await ours.getDocumentAt(login, { heads: before })
  const now = (await ours.getDocument<Issue>(login))!
  const diff = await ours.diff(login, before, now.getHeads())
  const statusNow = now.getData().status
  log(`Before the partner's edit it was ${String(then?.status)}; now it is ${now.getData().status}.`)

  await team.close()
  await partner.close()
  await factory.close()
  return {
    openByPriority,
    usedIndex: open.usedIndex,
    liveCounts,
    searchHits,
    historyKinds: history.map((e) => e.kind),
    historyAuthors,
    statusBefore: then?.status as string | undefined,
    statusNow,
    diffPaths: diff.map((p) => p.path.join('.')),
  }
}

runMain(import.meta, run)
