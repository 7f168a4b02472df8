import { parseArgs } from 'node:util'
import { isWeftError } from '@weft/core'
import { LevelStoreFactory } from '@weft/store-level'
import { runOperatorCommand } from './operatorCommand.ts'

const USAGE =
  'weft-server tenant reset <tenant> [--data DIR]\n' +
  'weft-server tenant transfer <tenant> --to <Ed25519 public key, base64url> [--data DIR]\n' +
  'Run with the server stopped: it opens the data folder (default WEFT_DATA_DIR or ./weft-data).'

/** The `tenant` subcommand of the server CLI; resolves to the exit code. */
export async function tenantCommand(args: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { data: { type: 'string' }, to: { type: 'string' }, help: { type: 'boolean' } },
    })
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const [op, tenant, ...rest] = positionals
  if (values.help || (op !== 'reset' && op !== 'transfer') || !tenant || rest.length) {
    console.error(USAGE)
    return values.help ? 0 : 2
  }
  if (op === 'transfer' && !values.to) {
    console.error(`transfer needs --to\n${USAGE}`)
    return 2
  }
  const path = values.data ?? process.env.WEFT_DATA_DIR ?? './weft-data'
  const factory = new LevelStoreFactory({ path })
  try {
    await runOperatorCommand(factory, op === 'reset' ? { op, tenant } : { op, tenant, to: values.to! })
    console.log(
      op === 'reset'
        ? `tenant ${tenant} reset: its registration, directory and data are gone from ${path}`
        : `tenant ${tenant} transferred: ${values.to} is its registered admin`,
    )
    return 0
  } catch (err) {
    console.error(isWeftError(err) ? `${err.code}: ${err.message}` : err)
    return 1
  } finally {
    await factory.close()
  }
}
