import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready, toBase64Url } from '@weft/core/backend'
import { registerMembers } from '@weft/client'
import { LevelStoreFactory } from '@weft/store-level'
import { WeftServer } from '@weft/server'
import { connect, joinDevice, rootDevice } from './helpers/directoryDevices.ts'

// The operator's recovery of a tenant that lost every admin device: the server's command line,
// run as a subprocess against the server's LevelDB folder while the server is stopped.

const CLI = fileURLToPath(new URL('../../packages/server/src/cli.ts', import.meta.url))

/** Runs `weft-server tenant …`; its exit code and output. */
function tenantCommand(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'tenant', ...args], { stdio: 'pipe' })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, out, err }))
  })
}

let dir: string
beforeAll(async () => {
  await ready()
  dir = await mkdtemp(join(tmpdir(), 'weft-operator-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const start = () => WeftServer.start({ storeFactory: new LevelStoreFactory({ path: dir }) })

describe('operator command', () => {
  it('transfers a tenant id to a given key, then resets it, with the server stopped; refuses while it runs', async () => {
    let server = await start()
    const root = await rootDevice(server.url)
    const laptop = await joinDevice(root, { role: 'admin' })
    await connect(server.url, laptop).token()
    // While the server holds the folder, the command cannot open it.
    const busy = await tenantCommand(['reset', root.id, '--data', dir])
    expect(busy.code).toBe(1)
    await server.close()

    // Every admin device is lost but the laptop's key: the operator makes it the registered admin.
    const to = toBase64Url(laptop.signingKey)
    const moved = await tenantCommand(['transfer', root.id, '--to', to, '--data', dir])
    expect(moved).toMatchObject({ code: 0 })
    expect(moved.out).toContain('transferred')
    server = await start()
    await expect(
      registerMembers({ url: server.url, tenant: root.id, admin: laptop.serverSigner(), seq: 2 }),
    ).resolves.toMatchObject({ seq: 2 })
    await expect(
      registerMembers({ url: server.url, tenant: root.id, admin: root.serverSigner(), seq: 3 }),
    ).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    await expect(connect(server.url, laptop).token()).resolves.toBeTypeOf('string')
    await server.close()

    // Reset: the id is free for anyone to register, and the old devices are unknown.
    const reset = await tenantCommand(['reset', root.id, '--data', dir])
    expect(reset).toMatchObject({ code: 0 })
    server = await start()
    try {
      await expect(
        connect(server.url, laptop).token(), // its records name a root the server no longer holds
      ).rejects.toMatchObject({ code: ErrorCodes.UNAUTHORIZED })
      await expect(
        registerMembers({ url: server.url, tenant: root.id, admin: generateSigningKeyPair(), seq: 1 }),
      ).resolves.toMatchObject({ members: 1 })
    } finally {
      await server.close()
    }
  })

  it('says what is wrong: an unknown tenant (1), a malformed key or missing arguments (2)', async () => {
    const unknown = await tenantCommand(['reset', 'nobody-here', '--data', dir])
    expect(unknown.code).toBe(1)
    expect(unknown.err).toContain(ErrorCodes.TENANT_NOT_FOUND)
    const badKey = await tenantCommand(['transfer', 'nobody-here', '--to', 'short', '--data', dir])
    expect(badKey.code).toBe(1)
    expect(badKey.err).toContain(ErrorCodes.INVALID_ARGUMENT)
    // A base64url key may start with '-': it is still the value of --to, not a flag.
    const dashKey = await tenantCommand(['transfer', 'nobody-here', '--to', `-${'A'.repeat(42)}`, '--data', dir])
    expect(dashKey.code).toBe(1)
    expect(dashKey.err).toContain(ErrorCodes.TENANT_NOT_FOUND)
    expect((await tenantCommand(['transfer', 'x', '--data', dir])).code).toBe(2)
    expect((await tenantCommand(['erase', 'x'])).code).toBe(2)
  })
})
