import { spawn } from 'node:child_process'
import type { Command } from 'commander'
import { ServerRefusal } from '../adminClient.ts'
import { CliError } from '../failure.ts'
import type { Run } from './tenant.ts'

/** The system's way to open an address in the default browser. */
function opener(): { command: string; args: string[] } {
  if (process.platform === 'darwin') return { command: 'open', args: [] }
  if (process.platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] }
  return { command: 'xdg-open', args: [] }
}

/**
 * `weft console --server <url>`: checks that the server serves the web console (docs/console.md),
 * prints its address and opens it in the default browser (`--no-open`: only print it).
 */
export function consoleCommand(program: Command, run: Run): void {
  program
    .command('console')
    .description("open a server's web console in the browser (tenant admins and operators sign in there)")
    .option('--server <url>', 'the server; default $WEFT_SERVER_URL')
    .option('--no-open', 'only check the console and print its address')
    .action(
      run(async (out, options) => {
        const server = (typeof options.server === 'string' ? options.server : undefined) ?? out.env.WEFT_SERVER_URL
        if (!server || !/^https?:\/\//.test(server))
          throw new CliError(
            'WEFT_CLI_NO_SERVER',
            'no server URL given',
            'pass --server <http(s)://…> or set WEFT_SERVER_URL',
          )
        const url = `${server.replace(/\/+$/, '')}/console/`
        let res: Response
        try {
          res = await fetch(url, { method: 'HEAD', redirect: 'manual' })
        } catch (cause) {
          throw new CliError(
            'WEFT_CLI_SERVER_UNREACHABLE',
            `cannot reach ${server}: ${(cause as Error).message}`,
            'check --server and that the server runs',
            1,
          )
        }
        if (!res.ok) {
          const e = (await fetch(url)
            .then((r) => r.json() as Promise<{ code?: string; message?: string }>)
            .catch(() => ({}))) as {
            code?: string
            message?: string
          }
          throw new ServerRefusal(
            e.code ?? 'WEFT_CLI_BAD_ANSWER',
            e.message ?? `the server answered ${res.status}`,
            res.status,
          )
        }
        const opened = options.open !== false && !out.json ? await open(url) : false
        out.result({ url, opened }, () => [url])
        if (options.open !== false && !out.json && !opened)
          out.note('could not open a browser here: open the address above')
      }),
    )
}

/** Opens `url` in the default browser; false when there is none to start. */
function open(url: string): Promise<boolean> {
  const { command, args } = opener()
  return new Promise((resolve) => {
    const child = spawn(command, [...args, url], { stdio: 'ignore', detached: true })
    child.once('error', () => resolve(false))
    child.once('spawn', () => {
      child.unref()
      resolve(true)
    })
  })
}
