import { Command, CommanderError } from 'commander'
import { ready } from '@weft/core'
import { backupCommands } from './commands/backup.ts'
import { consoleCommand } from './commands/console.ts'
import { dbCommands } from './commands/db.ts'
import { orchestrateCommand } from './commands/orchestrate.ts'
import { serverCommands } from './commands/server.ts'
import { syncCommand } from './commands/sync.ts'
import { tenantCommands, type Run } from './commands/tenant.ts'
import { verifyCommand } from './commands/verify.ts'
import { describeFailure, ExitCode } from './failure.ts'
import { Output } from './output.ts'

/** Where the CLI reads and writes; the process's own streams by default. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream
  readonly stderr: NodeJS.WritableStream
  readonly env: NodeJS.ProcessEnv
}

/**
 * Runs the `weft` command line (`argv` without `node` and the script) and returns the exit code:
 * 0 done, 1 a check failed or an operation was refused (its `WEFT_*` code is printed), 2 a usage
 * error, 3 anything else. Failures print a code and one line of remedy; the stack only with `--debug`.
 */
export async function runCli(argv: readonly string[], io: CliIo = process): Promise<number> {
  await ready()
  let exitCode: number = ExitCode.ok
  const program = new Command('weft')
    .description('Weft: end-to-end encrypted, local-first sync. Tenants, databases, audit trails, sync and backups.')
    .option('--data <folder>', 'the data folder (LevelDB) or a postgres:// URL; default $WEFT_DATA')
    .option('--tenant <id>', 'the tenant; default $WEFT_TENANT')
    .option(
      '--password-file <file>',
      "a file whose first line is the tenant's password (else $WEFT_PASSWORD, else a prompt)",
    )
    .option('--json', 'print results as JSON')
    .option('--debug', 'print stack traces of failures')
    .showHelpAfterError('(run weft --help for the commands)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    })

  const run: Run =
    (action) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command
      const globals = command.optsWithGlobals() as Record<string, unknown>
      const options = {
        ...globals,
        data: (globals.data as string | undefined) ?? io.env.WEFT_DATA,
        tenant: (globals.tenant as string | undefined) ?? io.env.WEFT_TENANT,
      }
      const out = new Output({ json: Boolean(globals.json), env: io.env, stdout: io.stdout, stderr: io.stderr })
      try {
        process.exitCode = undefined
        await action(out, options, ...(args.slice(0, -2) as string[]))
        exitCode = typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok
      } catch (err) {
        const failure = describeFailure(err)
        if (out.json) io.stderr.write(`${JSON.stringify({ error: failure.code, message: failure.lines[0] })}\n`)
        for (const line of failure.lines) io.stderr.write(`${line}\n`)
        if (globals.debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`)
        exitCode = failure.exitCode
      }
    }

  tenantCommands(program, run)
  dbCommands(program, run)
  verifyCommand(program, run)
  syncCommand(program, run)
  backupCommands(program, run)
  orchestrateCommand(program, run)
  serverCommands(program, run)
  consoleCommand(program, run)

  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not failures; everything else commander refuses is a usage error.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage
    }
    throw err
  }
  return exitCode
}
