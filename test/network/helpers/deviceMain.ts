/**
 * One device of a tenant in a process of its own, for the multi-process tests: a LevelDB folder
 * (`WEFT_DIR`), driven by JSON commands on stdin, one per line (`{ id, cmd, ...args }`), answering
 * one JSON line each on stdout (`{ id, ok, value }` or `{ id, ok: false, error: { code, message } }`).
 * `WEFT_REMOTE=1` keeps its databases on the server instead: the device joins with the folder
 * (whose record store keeps its tenant record), then opens the tenant over a `RemoteStoreFactory`
 * whose `local` is the same folder, signing in with its own device key.
 */
import { createInterface } from 'node:readline'
import { ready } from '@weft/core/backend'
import { LevelStoreFactory } from '@weft/store-level'
import { WebSocket } from 'ws'
import { deviceCommands } from './deviceCommands.ts'

await ready()
const { WEFT_DIR: dir, WEFT_URL: url, WEFT_REMOTE: remoteMode } = process.env
const commands = deviceCommands({
  storage: new LevelStoreFactory({ path: dir! }),
  url: url!,
  webSocket: WebSocket,
  remote: remoteMode === '1',
})
type Args = Record<string, unknown>
for await (const line of createInterface({ input: process.stdin })) {
  const { id, cmd, ...args } = JSON.parse(line) as { id: number; cmd: string } & Args
  try {
    const run = commands[cmd]
    if (!run) throw new Error(`unknown command ${cmd}`)
    console.log(JSON.stringify({ id, ok: true, value: (await run(args)) ?? null }))
    if (cmd === 'exit') setImmediate(() => process.exit(0))
  } catch (err) {
    const e = err as { code?: string; message?: string }
    console.log(
      JSON.stringify({ id, ok: false, error: { code: e.code ?? 'ERROR', message: e.message ?? String(err) } }),
    )
  }
}
