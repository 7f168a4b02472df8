import type { Command } from 'commander'
import { syncStores, type ChangeStore, type Tenant } from '@weft/core'
import { RemoteChangeStore, ServerConnection } from '@weft/client'
import { Folder, openTenant, tenantIdOf, type TenantOptions } from '../context.ts'
import { CliError } from '../failure.ts'
import { formatBytes, ProgressView } from '../progress.ts'
import type { Run } from './tenant.ts'

const isUrl = (s: string) => /^https?:\/\//.test(s)

/**
 * `weft sync <db> --from <folder|url> --to <folder|url>`: copies the entries one side has and the
 * other lacks, verified by the receiving side. Between two folders no password is needed (entries
 * are ciphertext); a server needs the tenant's signing key, so the tenant is opened from the folder side.
 */
export function syncCommand(program: Command, run: Run): void {
  program
    .command('sync <db>')
    .description('copy the entries of one database from a folder or server to another, with progress')
    .requiredOption('--from <folder|url>', 'where the entries are')
    .requiredOption('--to <folder|url>', 'where they go')
    .action(
      run(async (out, options, dbName) => {
        const from = String(options.from)
        const to = String(options.to)
        const tenantId = tenantIdOf(options)
        const opened: { close(): Promise<void> }[] = []
        try {
          const folders = new Map<string, Folder>()
          for (const side of [from, to]) {
            if (isUrl(side) || folders.has(side)) continue
            const f = Folder.open(side, { create: side === to })
            folders.set(side, f)
            opened.unshift(f)
          }
          let tenant: Tenant | undefined
          const signer = async () => {
            if (tenant) return tenant
            const folder = folders.get(isUrl(from) ? to : from)
            if (!folder)
              throw new CliError(
                'WEFT_CLI_NO_KEYS',
                "syncing two servers needs the tenant's keys",
                'sync through a folder that holds the tenant',
              )
            tenant = await openTenant(folder, options as TenantOptions, out)
            opened.unshift(tenant)
            return tenant
          }
          const storeOf = async (side: string): Promise<ChangeStore> => {
            if (!isUrl(side)) return folders.get(side)!.storage.openChangeStore(`${tenantId}/${String(dbName)}`)
            const connection = new ServerConnection({
              url: side,
              tenant: tenantId,
              key: (await signer()).serverSigner(),
            })
            return new RemoteChangeStore({ connection, db: String(dbName) })
          }
          const source = await storeOf(from)
          const target = await storeOf(to)
          const view = new ProgressView(out, `sync ${String(dbName)}`)
          const started = performance.now()
          const result = await syncStores(source, target, { onProgress: view.update })
          const seconds = (performance.now() - started) / 1_000
          const summary = {
            db: String(dbName),
            added: result.added.length,
            existing: result.existing,
            rejected: result.rejected.map((r) => ({ hash: r.hash, code: r.error.code })),
            bytes: result.bytes,
            seconds: Math.round(seconds * 1_000) / 1_000,
          }
          out.result(summary, () => [
            `synced ${summary.db}: ${summary.added} added, ${summary.existing} already there, ${summary.rejected.length} refused, ${formatBytes(summary.bytes)} in ${seconds.toFixed(1)} s`,
            ...summary.rejected.map((r) => `  refused ${r.hash}: ${r.code}`),
          ])
          if (summary.rejected.length) process.exitCode = 1
        } finally {
          for (const o of opened) await o.close()
        }
      }),
    )
}
