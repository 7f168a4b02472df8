// Named-key collaboration: A writes some documents under a collaboration key and others under
// its own `default` key, in one database. B imports only the collaboration key (a
// password-protected blob handed over out of band) and, after pulling A's whole store, reads
// exactly the collaboration documents; the rest are held as `locked`, never shown or reported
// as errors. A wrong password fails with `WEFT_WRONG_PASSWORD` and imports nothing.
import { TenantFactory, isWeftError, type DocumentStatus } from '@weft/core'
import { entries, short } from './helpers/format.ts'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

type Note = { text: string }

export interface NamedKeyResult {
  readonly collabIds: string[]
  readonly privateIds: string[]
  /** What B can read, and the status B reports for every document it received. */
  readonly readableByB: string[]
  readonly statusInB: Record<string, DocumentStatus>
  /** Texts B read. */
  readonly textsReadByB: string[]
  /** Entries B received (all of A's: B holds them, it just cannot open the private ones). */
  readonly entriesReceived: number
  /** The error code an import with the wrong password failed with. */
  readonly wrongPasswordCode: string | undefined
}

export async function run(options: ExampleOptions = {}): Promise<NamedKeyResult> {
  const log = options.log ?? (() => {})
  log('Weft example: collaboration under a named key')
  log('')
  const factory = new TenantFactory({ kdf: options.kdf })
  const a = await factory.createTenant({ tenantId: 'studio-a', password: 'a password' })
  const b = await factory.createTenant({ tenantId: 'studio-b', password: 'b password' })

  const blob = await factory.createSymmetricEncryptedPrivateKey('shared collab password')
  await a.keyBag.importKey('collab', blob, 'shared collab password')
  let wrongPasswordCode: string | undefined
  try {
    await b.keyBag.importKey('collab', blob, 'a guess')
  } catch (err) {
    if (!isWeftError(err)) throw err
    wrongPasswordCode = err.code
  }
  await b.keyBag.importKey('collab', blob, 'shared collab password')
  log(`Both studios imported the "collab" key (a wrong password failed with ${wrongPasswordCode}).`)
  await b.addPartner(a.publicProfile(), { dbs: ['notes'] })

  const aNotes = await a.openDB('notes')
  const collabIds: string[] = []
  const privateIds: string[] = []
  for (const text of ['Moodboard for the joint campaign', 'Shared shot list']) {
    collabIds.push((await aNotes.createDocument<Note>({ keyId: 'collab', data: { text } })).getId())
  }
  for (const text of ['Our day rates', 'Internal review of studio B']) {
    privateIds.push((await aNotes.createDocument<Note>({ data: { text } })).getId())
  }
  log(`${a.id} wrote ${collabIds.length} notes under "collab" and ${privateIds.length} under its own "default" key.`)

  const bNotes = await b.openDB('notes')
  const pulled = await bNotes.pullChangesFrom(aNotes)
  log(
    `${b.id} pulls all of ${a.id}'s "notes": ${entries(pulled.transferred)}, ${pulled.materialised.locked.length} of them locked.`,
  )

  const statusInB: Record<string, DocumentStatus> = {}
  for (const info of await bNotes.listDocuments()) {
    statusInB[info.id] = info.status
    const text = (await bNotes.getDocument<Note>(info.id))?.getData().text
    log(`  ${short(info.id)} key ${info.keyId?.padEnd(8)} ${info.status.padEnd(7)} ${text ?? '(cannot read)'}`)
  }
  const readableByB = (await bNotes.getAllDocumentIds()).sort()
  const textsReadByB: string[] = []
  for (const id of readableByB) textsReadByB.push((await bNotes.getDocument<Note>(id))!.getData().text)

  await a.close()
  await b.close()
  await factory.close()
  return {
    collabIds: collabIds.sort(),
    privateIds: privateIds.sort(),
    readableByB,
    statusInB,
    textsReadByB: textsReadByB.sort(),
    entriesReceived: pulled.transferred,
    wrongPasswordCode,
  }
}

runMain(import.meta, run)
