import { parseArgs } from 'node:util'
import { isWeftError } from '@weft/core'
import { LevelStoreFactory } from '@weft/store-level'
import { runOperatorCommand } from './operatorCommand.ts'

const USAGE =
  'weft-server tenant reset <tenant> [--data DIR]\n' +
  'weft-server tenant transfer <tenant> --to <Ed25519 public key, base64url> [--data DIR]\n' +
  'Run with the server stopped: it opens the data folder (default WEFT_DATA_DIR or ./weft-data).'

/**
 * `--to KEY` as `--to=KEY`: a base64url key starts with `-` one time in 64, and the argument
 * parser would otherwise take it for a flag and refuse the command.
 */
function joinKeyValue(args: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1]
    if (args[i] === '--to' && next !== undefined) {
      out.push(`--to=${next}`)
      i++
    } else out.push(args[i]!)
  }
  return out
}

/** The `tenant` subcommand of the server CLI; resolves to the exit code. */
export async function tenantCommand(args: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: joinKeyValue(args),
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
