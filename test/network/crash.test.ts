import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromHex, FULL_RANGE, generateSigningKeyPair, ready } from '@weft/core/backend'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'
import { LevelStoreFactory } from '@weft/store-level'

const script = fileURLToPath(new URL('./helpers/pushingClient.ts', import.meta.url))
let server: WeftServer
let dir: string

beforeAll(async () => {
  await ready()
  dir = await mkdtemp(join(tmpdir(), 'weft-crash-'))
  server = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path: join(dir, 'server') }) })
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

describe('a client killed mid-push', () => {
  it('leaves the server consistent, and a restarted client completes the push with nothing lost', async () => {
    const tenant = 'crash-org'
    const admin = generateSigningKeyPair()
    await registerMembers({ url: server.url, tenant, admin, seq: 1 })
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: {
        ...process.env,
        WEFT_URL: server.url,
        WEFT_TENANT: tenant,
        WEFT_DIR: join(dir, 'client'),
        WEFT_COUNT: '2000',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    const exited = new Promise((r) => child.once('exit', r))
    const out = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
    const keys = JSON.parse((await out.next()).value as string) as { author: string; device: string }
    await registerMembers({ url: server.url, tenant, admin, seq: 2, add: [fromHex(keys.author), fromHex(keys.device)] })
    child.stdin!.write('go\n')
    let pushed = 0
    for (;;) {
      const line = (await out.next()).value as string
      if (line.startsWith('pushed ')) pushed = Number(line.slice(7))
      if (pushed >= 300) break
    }
    child.kill('SIGKILL') // mid-push
    await exited

    // The server survived and holds only whole, verified entries.
    const device = generateSigningKeyPair()
    await registerMembers({ url: server.url, tenant, admin, seq: 3, add: [device.publicKey] })
    const remote = new RemoteChangeStore({
      connection: new ServerConnection({ url: server.url, tenant, key: device }),
      db: 'db',
    })
    const before = await remote.head()
    expect(before.count).toBeGreaterThanOrEqual(300)
    expect(before.count).toBeLessThan(2000)

    // The client restarts on its own local store and finishes by reconciliation.
    const stores = new LevelStoreFactory({ path: join(dir, 'client') })
    const local = await stores.openChangeStore('local/db')
    expect((await local.head()).count).toBe(2000)
    const { have, need } = await remote.reconcileWith(local)
    expect(need).toEqual([])
    expect(have.length).toBe(2000 - before.count)
    const r = await remote.relay(await local.getChanges(have))
    expect(r.rejected).toEqual([])
    expect(await remote.fingerprint(FULL_RANGE)).toEqual(await local.fingerprint(FULL_RANGE))
    await stores.close()
  })
})
