import { parseArgs } from 'node:util'
import { LevelStoreFactory } from '@weft/store-level'
import { isIsolationModel, PostgresStoreFactory, type IsolationModel } from '@weft/store-postgres'
import { moveStorage } from './moveStorage.ts'

const USAGE =
  'weft-server migrate --from <level folder> --to <postgres url> [--isolation database|schema|shared|hybrid] [--default-tenant ID]'

/**
 * `weft-server migrate --from <level folder> --to <postgres url>`: moves a stopped LevelDB server's
 * data into PostgreSQL (see `moveStorage`), every entry verified again on the way; stores from
 * before tenancy land in the default tenant (`--default-tenant`, WEFT_DEFAULT_TENANT, else `default`). Resolves to the
 * exit code: 0 when everything was copied, 1 when some entries were refused (the rest is copied),
 * 2 for bad arguments.
 */
export async function migrateCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      isolation: { type: 'string' },
      'default-tenant': { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const isolation = values.isolation ?? process.env.WEFT_ISOLATION ?? 'shared'
  if (!values.from || !values.to || !(isIsolationModel(isolation) || isolation === 'hybrid')) {
    console.error(USAGE)
    return 2
  }
  const from = new LevelStoreFactory({ path: values.from })
  const to = new PostgresStoreFactory({ url: values.to, isolation: isolation as IsolationModel | 'hybrid' })
  try {
    const defaultTenant = values['default-tenant'] ?? process.env.WEFT_DEFAULT_TENANT ?? 'default'
    const report = await moveStorage(from, to, { log: (line) => console.log(line), defaultTenant })
    console.log(`moved ${report.changeStores} change stores (${report.entries} entries) and ${report.records} records`)
    for (const a of report.adopted) console.log(`${a.from}: from before tenancy, now ${a.to}`)
    for (const name of report.epochChanged) console.log(`${name}: held already under another epoch; readers start over`)
    for (const r of report.rejected) console.error(`${r.store}: refused ${r.hash} (${r.code})`)
    return report.rejected.length ? 1 : 0
  } finally {
    await from.close()
    await to.close()
  }
}
