#!/usr/bin/env node
/**
 * `npm run serve -- [--port 8787] [--host 127.0.0.1] [--data ./weft-data] [--memory]`
 * Starts a Weft server with embedded LevelDB storage in the data folder. Flags win over the
 * environment: WEFT_PORT, WEFT_HOST, WEFT_DATA_DIR, WEFT_BASE_DOMAIN.
 */
import { parseArgs } from 'node:util'
import { MemoryStoreFactory } from '@weft/core'
import { LevelStoreFactory } from '@weft/store-level'
import { WeftServer } from './WeftServer.ts'

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    'base-domain': { type: 'string' },
    memory: { type: 'boolean' },
    help: { type: 'boolean' },
  },
})

if (values.help) {
  console.log('weft-server [--port N] [--host ADDR] [--data DIR] [--base-domain DOMAIN] [--memory]')
  process.exit(0)
}

const port = Number(values.port ?? process.env.WEFT_PORT ?? 8787)
const host = values.host ?? process.env.WEFT_HOST ?? '127.0.0.1'
const data = values.data ?? process.env.WEFT_DATA_DIR ?? './weft-data'
const baseDomain = values['base-domain'] ?? process.env.WEFT_BASE_DOMAIN
const storeFactory = values.memory ? new MemoryStoreFactory() : new LevelStoreFactory({ path: data })

const server = await WeftServer.start({
  port,
  host,
  storeFactory,
  ...(baseDomain ? { baseDomain } : {}),
  log: (message, error) => console.error(message, error ?? ''),
})
console.log(`weft server listening on ${server.url} (${values.memory ? 'in memory' : `data in ${data}`})`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0))
  })
}
