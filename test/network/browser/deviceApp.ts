/**
 * A device of a tenant in a Chromium page, for the two-page test: its own IndexedDB database,
 * the same commands as a device process (helpers/deviceCommands.ts), called from the test as
 * `weft.call(cmd, args)`. `weft.init(url, name)` sets the relay and the IndexedDB name first.
 */
import { ready } from '@weft/core'
import { IdbStoreFactory } from '@weft/store-idb'
import { deviceCommands, type DeviceCommands } from '../helpers/deviceCommands.ts'

let commands: DeviceCommands | undefined

async function init(url: string, name: string): Promise<void> {
  await ready()
  commands = deviceCommands({ storage: new IdbStoreFactory({ name }), url })
}

async function call(cmd: string, args: Record<string, unknown> = {}): Promise<unknown> {
  const run = commands?.[cmd]
  if (!run) throw new Error(`unknown command ${cmd}, or init not called`)
  return (await run(args)) ?? null
}

Object.assign(globalThis, { weft: { init, call } })
