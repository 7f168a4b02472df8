import { isWeftError, type WeftError } from '@weft/core'
import { remedyFor } from './remedies.ts'

/** Exit codes of the `weft` command (docs/cli.md lists them). */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** A check found problems (`weft verify`), or an operation was refused with a `WEFT_*` code. */
  failed: 1,
  /** The command line was wrong: unknown command or flag, missing argument, no password source. */
  usage: 2,
  /** Anything else: a bug, or the machine (disk, permissions). Run again with `--debug` for the stack. */
  internal: 3,
} as const

/** A failure the CLI itself reports, with a stable code like the engine's. */
export class CliError extends Error {
  readonly code: string
  readonly remedy: string
  readonly exitCode: number

  constructor(code: string, message: string, remedy: string, exitCode: number = ExitCode.usage) {
    super(message)
    this.code = code
    this.remedy = remedy
    this.exitCode = exitCode
  }
}

/** What to print for a failure: its code and message, one line of remedy, and the exit code. */
export function describeFailure(err: unknown): { lines: string[]; exitCode: number; code: string } {
  if (err instanceof CliError) {
    return { lines: [`${err.code}: ${err.message}`, `  remedy: ${err.remedy}`], exitCode: err.exitCode, code: err.code }
  }
  if (isWeftError(err)) {
    const e = err as WeftError
    return {
      lines: [`${e.code}: ${e.message}`, `  remedy: ${remedyFor(e.code)}`],
      exitCode: ExitCode.failed,
      code: e.code,
    }
  }
  const message = err instanceof Error ? err.message : String(err)
  return {
    lines: [`WEFT_CLI_INTERNAL: ${message}`, '  remedy: run again with --debug for the stack trace, and report it'],
    exitCode: ExitCode.internal,
    code: 'WEFT_CLI_INTERNAL',
  }
}
