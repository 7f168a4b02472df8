import type { Command } from 'commander'
import { asDocId, type Database, type Tenant } from '@weft/core'
import { parseEntry, toBase64Url, type ChangeHash } from '@weft/core/backend'
import type { Folder } from '../context.ts'
import { CliError } from '../failure.ts'
import { withTenant, type Run } from './tenant.ts'

/** `weft db list|show|history`. */
export function dbCommands(program: Command, run: Run): void {
  const db = program.command('db').description("look inside a tenant's databases")

  db.command('list')
    .description('databases with their entry and document counts')
    .action(
      run(async (out, options) => {
        await withTenant(out, options, async (t, folder) => {
          const prefix = `${t.id}/`
          const rows: { db: string; entries: number; documents: number }[] = []
          for (const name of await folder.storage.changeStoreNames(prefix)) {
            const dbName = name.slice(prefix.length)
            const store = await folder.storage.openChangeStore(name)
            const { seq } = await store.head()
            const docs = dbName.startsWith('_') ? [] : await (await t.openDB(dbName)).listDocuments()
            rows.push({ db: dbName, entries: seq, documents: docs.length })
          }
          out.result({ databases: rows }, () =>
            rows.length
              ? rows.map((r) => `${r.db}\t${r.entries} entries\t${r.documents} documents`)
              : ['(no databases)'],
          )
        })
      }),
    )

  db.command('show <db>')
    .description('documents as JSON, and entries held back (locked or untrusted) with the reason')
    .option('--doc <id>', 'one document only')
    .action(
      run(async (out, options, dbName) => {
        await withTenant(out, options, async (t, folder) => {
          const database = await openExisting(t, folder, String(dbName))
          const report = await database.retryHeld()
          const held = [...report.locked, ...report.untrusted].map((h) => ({ hash: h.hash, doc: h.docId, why: h.code }))
          if (typeof options.doc === 'string') {
            const doc = await database.getDocument(asDocId(options.doc))
            if (!doc)
              throw new CliError(
                'WEFT_CLI_NO_DOCUMENT',
                `no document ${options.doc} in ${String(dbName)}`,
                'list the documents with `weft db show <db>`',
                1,
              )
            out.result({ id: doc.getId(), deleted: doc.isDeleted(), data: doc.toJSON() }, () => [
              JSON.stringify(doc.toJSON(), null, 2),
            ])
            return
          }
          const documents: { id: string; status: string; data: unknown }[] = []
          for (const info of await database.listDocuments()) {
            const doc = info.status === 'ready' ? await database.getDocument(info.id) : undefined
            documents.push({ id: info.id, status: info.status, data: doc?.toJSON() })
          }
          const summary = { locked: report.locked.length, untrusted: report.untrusted.length }
          out.result({ db: String(dbName), documents, held, ...summary }, () => [
            ...documents.map((d) => `${d.id}\t${d.status}\t${d.data === undefined ? '' : JSON.stringify(d.data)}`),
            `${documents.length} documents; ${summary.locked} entries locked, ${summary.untrusted} untrusted`,
            ...held.map((h) => `  held ${h.hash} (document ${h.doc}): ${h.why}`),
          ])
        })
      }),
    )

  db.command('history <db> <doc>')
    .description("a document's entries in arrival order: author, time, kind")
    .action(
      run(async (out, options, dbName, docId) => {
        await withTenant(out, options, async (t, folder) => {
          const database = await openExisting(t, folder, String(dbName))
          const store = database.getStore()
          const names = await deviceNames(t)
          const hashes: ChangeHash[] = await store.getAllChangeHashesForDoc(asDocId(String(docId)))
          const entries = (await store.getChanges(hashes)).map((env) => {
            const { header } = parseEntry(env.hash, env.bytes)
            const author = toBase64Url(header.author)
            return {
              hash: env.hash,
              kind: header.kind,
              author,
              authorName: names.get(author),
              at: new Date(header.createdAt).toISOString(),
              key: `${header.keyId} v${header.keyVersion}`,
            }
          })
          out.result({ db: String(dbName), doc: String(docId), entries }, () =>
            entries.length
              ? entries.map((e) => `${e.at}  ${e.kind.padEnd(8)} ${e.authorName ?? e.author}  ${e.hash}`)
              : [`(no entries for document ${String(docId)})`],
          )
        })
      }),
    )
}

/** Opens a database the folder holds; one it does not is an error, not a new empty database. */
async function openExisting(t: Tenant, folder: Folder, name: string): Promise<Database> {
  if (!(await folder.storage.changeStoreNames(`${t.id}/`)).includes(`${t.id}/${name}`))
    throw new CliError('WEFT_CLI_NO_DATABASE', `tenant ${t.id} has no database ${name} here`, 'see `weft db list`', 1)
  return t.openDB(name)
}

/** Device key → user name, from the tenant's directory (empty before it has one). */
async function deviceNames(t: Tenant): Promise<Map<string, string>> {
  const names = new Map<string, string>()
  for (const m of await t.members.list()) for (const d of m.devices) names.set(d.deviceId, m.name)
  return names
}
