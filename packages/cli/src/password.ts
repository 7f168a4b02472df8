import { readFile } from 'node:fs/promises'
import { CliError } from './failure.ts'

/** Where passwords come from: never a plain flag, which would land in shell history and `ps`. */
export interface PasswordSources {
  /** A file whose first line is the password (`--password-file`). */
  readonly file?: string
  /** The variable to read (`WEFT_PASSWORD`, or `WEFT_NEW_PASSWORD` for a new one). */
  readonly envName: string
  readonly env: NodeJS.ProcessEnv
  /** What the prompt says. */
  readonly prompt: string
  /** Ask twice and compare (a new password). */
  readonly confirm?: boolean
}

/** Reads a password from the file, else the environment, else a terminal prompt without echo. */
export async function readPassword(sources: PasswordSources): Promise<string> {
  if (sources.file !== undefined) {
    const text = await readFile(sources.file, 'utf8').catch((cause: unknown) => {
      throw new CliError(
        'WEFT_CLI_PASSWORD_FILE',
        `cannot read the password file ${sources.file}: ${(cause as Error).message}`,
        'check the path given to --password-file',
      )
    })
    const line = text.split(/\r?\n/)[0] ?? ''
    if (!line)
      throw new CliError('WEFT_CLI_PASSWORD_FILE', 'the password file is empty', 'write the password on its first line')
    return line
  }
  const fromEnv = sources.env[sources.envName]
  if (fromEnv) return fromEnv
  if (!process.stdin.isTTY) {
    throw new CliError(
      'WEFT_CLI_NO_PASSWORD',
      'a password is needed and there is no terminal to ask',
      `set ${sources.envName} or pass --password-file <file>`,
    )
  }
  const first = await promptHidden(sources.prompt)
  if (sources.confirm && (await promptHidden('Repeat it: ')) !== first) {
    throw new CliError('WEFT_CLI_PASSWORD_MISMATCH', 'the two passwords differ', 'run the command again')
  }
  return first
}

/** Asks on the terminal with echo off. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin
    stdin.setRawMode(true) // before the prompt shows, so nothing typed after it is echoed
    process.stderr.write(question)
    stdin.resume()
    stdin.setEncoding('utf8')
    let value = ''
    const done = (result: string | Error) => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off('data', onData)
      process.stderr.write('\n')
      if (result instanceof Error) reject(result)
      else resolve(result)
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done(value)
        if (ch === '\u0003') return done(new CliError('WEFT_CLI_CANCELLED', 'cancelled', 'run the command again'))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else value += ch
      }
    }
    stdin.on('data', onData)
  })
}
