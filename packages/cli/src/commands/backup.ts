import type { Command } from 'commander'
import { isChangeHash } from '@weft/core'
import type { EntryEnvelope } from '@weft/core/backend'
import { BackupWriter, readBackup } from '../backupFile.ts'
import { Folder, tenantIdOf } from '../context.ts'
import { CliError } from '../failure.ts'
import { ProgressView } from '../progress.ts'
import type { Run } from './tenant.ts'

/** The tenant's records beside its stores: each keyed by `<tenant>/...` (the tenant record by `tenant/<id>`). */
const TENANT_RECORDS = ['weft-sync-states', 'weft-relationships', 'weft-grants', 'weft-trust-cutoffs', 'weft-audit']
const BATCH = 1_000

/** `weft backup` and `weft restore`: a tenant's stores and records as ciphertext, no password needed. */
export function backupCommands(program: Command, run: Run): void {
  program
    .command('backup')
    .description("write a tenant's stores and records (ciphertext only) to a new file")
    .requiredOption('--out <file>', 'the backup file to create (never overwritten)')
    .action(
      run(async (out, options) => {
        const tenant = tenantIdOf(options)
        const folder = Folder.open(options.data)
        try {
          if (!(await folder.factory.listTenants()).includes(tenant))
            throw new CliError(
              'WEFT_CLI_NO_TENANT',
              `${options.data} holds no tenant ${tenant}`,
              'see `weft tenant list`',
              1,
            )
          const stores = await folder.storage.changeStoreNames(`${tenant}/`)
          let total = 0
          for (const name of stores) total += (await (await folder.storage.openChangeStore(name)).head()).seq
          const writer = new BackupWriter(String(options.out))
          await writer.open().catch((cause: Error) => {
            throw new CliError(
              'WEFT_CLI_OUTPUT',
              `cannot create ${String(options.out)}: ${cause.message}`,
              'give a new file name in a writable folder',
              1,
            )
          })
          await writer.frame({ t: 'head', tenant, createdAt: Date.now(), entries: total })
          const view = new ProgressView(out, 'backup')
          let entries = 0
          let bytes = 0
          for (const name of stores) {
            const store = await folder.storage.openChangeStore(name)
            for (let cursor = null as Parameters<typeof store.scan>[0]; ;) {
              const page = await store.scan(cursor, { limit: BATCH })
              const got = await store.getChanges(page.entries.map((e) => e.hash))
              await writer.frame({ t: 'entries', store: name, items: got.map((e) => [e.hash, e.bytes]) })
              entries += got.length
              for (const e of got) bytes += e.bytes.length
              view.update({ phase: 'copy', entries, totalEntries: total, bytes })
              cursor = page.cursor
              if (page.done) break
            }
          }
          let records = 0
          for (const [name, prefix] of [
            ['weft-tenants', `tenant/${tenant}`],
            ...TENANT_RECORDS.map((n) => [n, `${tenant}/`]),
          ] as const) {
            const kv = await folder.storage.openKeyValueStore(name)
            const keys = (await kv.keys(prefix)).filter((k) => name !== 'weft-tenants' || k === prefix)
            const items: [string, Uint8Array][] = []
            for (const k of keys) items.push([k, (await kv.get(k))!])
            if (items.length) await writer.frame({ t: 'kv', name, items })
            records += items.length
          }
          await writer.finish({ entries, records })
          view.update({ phase: 'done', entries, totalEntries: total, bytes })
          out.result({ tenant, file: String(options.out), stores: stores.length, entries, records }, () => [
            `backed up ${tenant}: ${stores.length} databases, ${entries} entries, ${records} records to ${String(options.out)}`,
          ])
        } finally {
          await folder.close()
        }
      }),
    )

  program
    .command('restore')
    .description('restore a backup into a folder that does not hold the tenant; every entry is verified again')
    .requiredOption('--from <file>', 'the backup file')
    .action(
      run(async (out, options) => {
        const folder = Folder.open(options.data, { create: true })
        try {
          let tenant: string | undefined
          let total = 0
          let entries = 0
          let bytes = 0
          let records = 0
          const refused: { hash: string; code: string }[] = []
          const view = new ProgressView(out, 'restore')
          // Checked whole before anything is written: a cut or changed file restores nothing.
          for await (const frame of readBackup(String(options.from))) void frame
          for await (const frame of readBackup(String(options.from))) {
            if (frame.t === 'head') {
              tenant = frame.tenant
              total = frame.entries
              if (options.tenant && options.tenant !== tenant)
                throw new CliError(
                  'WEFT_CLI_BAD_BACKUP',
                  `the backup holds ${tenant}, not ${String(options.tenant)}`,
                  'check --tenant',
                  1,
                )
              if ((await folder.factory.listTenants()).includes(tenant))
                throw new CliError(
                  'WEFT_CLI_TENANT_EXISTS',
                  `${String(options.data)} already holds ${tenant}`,
                  'restore into a new folder, then move it in place',
                  1,
                )
            } else if (frame.t === 'entries') {
              if (!tenant || !frame.store.startsWith(`${tenant}/`))
                throw new CliError(
                  'WEFT_CLI_BAD_BACKUP',
                  `a store of another tenant: ${frame.store}`,
                  'use another copy of the backup',
                  1,
                )
              const batch: EntryEnvelope[] = frame.items
                .filter(([h]) => isChangeHash(h))
                .map(([hash, b]) => ({ hash: hash as EntryEnvelope['hash'], bytes: b }))
              const result = await (await folder.storage.openChangeStore(frame.store)).appendMany(batch)
              for (const r of result.rejected) refused.push({ hash: r.hash, code: r.error.code })
              entries += frame.items.length
              for (const e of batch) bytes += e.bytes.length
              view.update({ phase: 'copy', entries, totalEntries: total, bytes })
            } else if (frame.t === 'kv') {
              const kv = await folder.storage.openKeyValueStore(frame.name)
              for (const [k, v] of frame.items) {
                if (!(k.startsWith(`${tenant}/`) || k === `tenant/${tenant}`)) continue
                await kv.put(k, v)
                records++
              }
            }
          }
          view.update({ phase: 'done', entries, totalEntries: total, bytes })
          out.result({ tenant, entries, records, refused }, () => [
            `restored ${tenant}: ${entries} entries, ${records} records${refused.length ? `, ${refused.length} entries refused` : ''}`,
            ...refused.map((r) => `  refused ${r.hash}: ${r.code}`),
          ])
          if (refused.length) process.exitCode = 1
        } finally {
          await folder.close()
        }
      }),
    )
}
