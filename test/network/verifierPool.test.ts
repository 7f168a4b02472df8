import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready } from '@weft/core'
import type { SignatureCheck, SignatureVerifier } from '@weft/core/backend'
import { EntryFactory, envelope, withBadSignature } from '@weft/core/testing'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'
import { createNodeVerifierPool } from '@weft/store-level'
import { PostgresStoreFactory } from '@weft/store-postgres'
import { createTestDatabase, type TestDatabase } from '../../packages/store-postgres/test/helpers/pgDatabase.ts'
import { startServerProcess } from './helpers/serverProcess.ts'

/**
 * A relay whose PostgreSQL stores check pushed entries on a pool of worker threads (the store
 * option `verifier`): what it stores and refuses is what it would without the pool.
 */
describe('a relay checking pushed entries on worker threads', () => {
  const pool = createNodeVerifierPool({ threads: 2 })
  let asked = 0
  const verifier: SignatureVerifier = {
    minBatch: pool.minBatch,
    verifyMany(checks: readonly SignatureCheck[]) {
      asked += checks.length
      return pool.verifyMany(checks)
    },
  }
  let db: TestDatabase
  let server: WeftServer

  beforeAll(async () => {
    await ready()
    db = await createTestDatabase('verifier_pool')
    server = await WeftServer.start({
      storeFactory: new PostgresStoreFactory({ url: db.url, isolation: 'shared', storeOptions: { verifier } }),
    })
  })
  afterAll(async () => {
    await server?.close()
    await db?.drop()
    await pool.close()
  })

  it('stores the good entries of a push and refuses the forged ones, the pool checking their signatures', async () => {
    await pushGoodAndForged(server.url, 'pool-tenant')
    expect(asked).toBeGreaterThanOrEqual(200)
    expect(pool.size).toBe(2)
  })

  it('is what weft-server --verify-threads N turns on, and a count out of range is a usage error', async () => {
    const cli = await startServerProcess(['--memory', '--port', '0', '--verify-threads', '2'])
    try {
      await cli.printed(/\(in memory, signatures on 2 worker threads\)/)
      await pushGoodAndForged(cli.url, 'cli-tenant')
    } finally {
      await cli.stop()
    }
    const bad = await startServerProcess(['--memory', '--port', '0', '--verify-threads', '0']).catch(
      (err: Error) => err,
    )
    expect(String(bad)).toContain('WEFT_CLI_USAGE: --verify-threads takes a number of threads from 1 to 16')
  })
})

/** Pushes 200 entries of a registered author to `url`, every tenth forged; checks what was stored and refused. */
async function pushGoodAndForged(url: string, tenant: string): Promise<void> {
  const admin = generateSigningKeyPair()
  const device = generateSigningKeyPair()
  const author = new EntryFactory(200)
  await registerMembers({ url, tenant, admin, seq: 1, add: [device.publicKey, author.signer.publicKey] })
  const remote = new RemoteChangeStore({
    connection: new ServerConnection({ url, tenant, key: device }),
    db: 'notes',
  })
  const entries = author.entries(200).map((e, i) => (i % 10 === 3 ? withBadSignature(e) : envelope(e)))
  const result = await remote.appendMany(entries)
  const forged = entries.filter((_, i) => i % 10 === 3).map((e) => e.hash)
  expect(new Set(result.added)).toEqual(new Set(entries.map((e) => e.hash).filter((h) => !forged.includes(h))))
  expect(result.rejected.map((r) => [r.hash, r.error.code])).toEqual(forged.map((h) => [h, ErrorCodes.BAD_SIGNATURE]))
}
