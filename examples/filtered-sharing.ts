// Filtered sharing: a publisher sends a reader only its documents with `visibility: "public"`.
// `syncFiltered` evaluates the filter on the source, which holds the keys, and ships whole
// histories of matching documents; the reader's store never receives a single entry of the
// others. A document made public later is sent on the next run, from the saved state.
import { TenantFactory, syncFiltered, whereField, type DocId } from '@weft/core'
import { entries, short } from './helpers/format.ts'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

type Article = { title: string; visibility: 'public' | 'private' }

export interface FilteredSharingResult {
  readonly publicIds: string[]
  readonly privateIds: string[]
  /** The private document published between the two runs. */
  readonly publishedLater: string
  /** Entry hashes, sorted: every entry the reader's store holds, and those of the matching documents. */
  readonly readerEntries: string[]
  readonly expectedEntries: string[]
  /** Entries of still-private documents found in the reader's store (should be none). */
  readonly leakedEntries: number
  /** Ids the reader knows of at all, readable or not. */
  readonly readerKnows: string[]
  readonly sentFirst: number
  readonly sentSecond: number
}

export async function run(options: ExampleOptions = {}): Promise<FilteredSharingResult> {
  const log = options.log ?? (() => {})
  log('Weft example: filtered sharing of public documents')
  log('')
  const factory = new TenantFactory({ kdf: options.kdf })
  const publisher = await factory.createTenant({ tenantId: 'gazette', password: 'publisher password' })
  const reader = await factory.createTenant({ tenantId: 'reader-co', password: 'reader password' })
  await reader.addPartner(publisher.publicProfile(), { dbs: ['articles'] })
  await publisher.keyBag.generateKey('articles-key')
  await reader.acceptSharedKey(publisher.shareKey('articles-key', reader.publicProfile()))
  const source = await publisher.openDB('articles', { keyId: 'articles-key' })
  const target = await reader.openDB('articles')

  const make = async (title: string, visibility: Article['visibility']): Promise<DocId> => {
    const doc = await source.createDocument<Article>({ data: { title, visibility } })
    await source.changeDoc<Article>(doc, (d) => {
      d.getData().title += ' (edited)'
    })
    return doc.getId()
  }
  const publicIds = [await make('Election results', 'public'), await make('Weather', 'public')]
  const privateIds = [
    await make('Draft editorial', 'private'),
    await make('Salaries', 'private'),
    await make('Embargoed story', 'private'),
  ]
  log(`${publisher.id} wrote ${publicIds.length} public and ${privateIds.length} private articles (2 entries each).`)

  const onlyPublic = whereField('visibility', 'public')
  const first = await syncFiltered(source, target, onlyPublic)
  log(`First filtered sync: ${entries(first.lastSent)} sent.`)

  const publishedLater = privateIds.pop()!
  await source.changeDoc<Article>(publishedLater, (d) => {
    d.getData().visibility = 'public'
  })
  publicIds.push(publishedLater)
  const saved = JSON.stringify(first)
  const second = await syncFiltered(source, target, onlyPublic, JSON.parse(saved))
  log(`"Embargoed story" is made public; the next run sends ${entries(second.lastSent)} (its whole history).`)

  const store = source.getStore()
  const expected: string[] = []
  for (const id of publicIds) expected.push(...(await store.getAllChangeHashesForDoc(id)))
  let leaked = 0
  for (const id of privateIds) leaked += (await target.getStore().getAllChangeHashesForDoc(id)).length
  const readerEntries = (await target.getStore().getAllChangeHashes()).sort()
  const readerKnows = (await target.listDocuments()).map((d) => d.id).sort()
  log(
    `${reader.id}'s store holds ${entries(readerEntries.length)}, all of public articles; of private ones: ${leaked}.`,
  )
  for (const id of readerKnows) log(`  ${short(id)} ${(await target.getDocument<Article>(id))?.getData().title}`)

  await publisher.close()
  await reader.close()
  await factory.close()
  return {
    publicIds: [...publicIds].sort(),
    privateIds: [...privateIds].sort(),
    publishedLater,
    readerEntries,
    expectedEntries: expected.sort(),
    leakedEntries: leaked,
    readerKnows,
    sentFirst: first.lastSent,
    sentSecond: second.lastSent,
  }
}

runMain(import.meta, run)
