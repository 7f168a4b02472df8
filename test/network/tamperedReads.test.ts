// A server whose storage hands back tampered bytes: the client's RemoteChangeStore verifies every
// entry it reads (hash of the exact bytes, structure, signature) and a sync reports each tampered
// entry as rejected with its code, instead of leaving it out as if the server did not hold it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, incrementalSync, ready } from '@weft/core'
import { type EntryEnvelope } from '@weft/core/backend'
import { WeftServer } from '@weft/server'
import { flipBit, rehashed, underHash } from '../helpers/entries.ts'
import { RawStorage } from '../helpers/RawStorage.ts'
import { setupTenant, type TenantSetup } from './helpers/devices.ts'

let server: WeftServer
let storage: RawStorage

beforeAll(async () => {
  await ready()
  storage = new RawStorage()
  server = await WeftServer.start({ storeFactory: storage })
})
afterAll(async () => {
  await server?.close()
})

describe('entries read from a server', () => {
  let setup: TenantSetup
  let genuine: EntryEnvelope[]
  let badSignature: EntryEnvelope
  let swapped: EntryEnvelope

  beforeAll(async () => {
    setup = await setupTenant(server.url, { count: 1 })
    const writer = setup.devices[0]!
    for (let i = 0; i < 4; i++) await writer.db.createDocument({ data: { n: i } })
    const all = await writer.db.getStore().getChanges(await writer.db.getStore().getAllChangeHashes())
    genuine = all.slice(0, 2)
    // The two genuine ones go through the server's own checks; then its storage is tampered with.
    expect((await writer.remote.relay(genuine)).added).toHaveLength(2)
    const raw = storage.stores.get(`${setup.tenantId}/notes`)!
    // An entry with one flipped signature bit, under the true hash of its bytes.
    const third = all[2]!
    badSignature = rehashed(flipBit(third.bytes, third.bytes.length - 10, 3))
    // Another well-formed entry's bytes, under the hash of the fourth entry.
    swapped = underHash(all[3]!.hash, genuine[0]!.bytes.slice())
    await raw.appendMany([badSignature, swapped])
  })

  it('are verified on read: getChanges leaves out what fails, getChangesChecked says why', async () => {
    const reader = await setup.addDevice()
    const hashes = [genuine[0]!.hash, badSignature.hash, swapped.hash, genuine[1]!.hash]
    expect((await reader.remote.getChanges(hashes)).map((e) => e.hash)).toEqual([genuine[0]!.hash, genuine[1]!.hash])
    const checked = await reader.remote.getChangesChecked(hashes)
    expect(checked.entries.map((e) => e.hash)).toEqual([genuine[0]!.hash, genuine[1]!.hash])
    expect(checked.rejected).toMatchObject([
      { hash: badSignature.hash, error: { code: ErrorCodes.BAD_SIGNATURE } },
      { hash: swapped.hash, error: { code: ErrorCodes.HASH_MISMATCH } },
    ])
  })

  it('a pull reports each tampered entry as rejected, and applies the rest', async () => {
    const reader = await setup.addDevice()
    const report = await reader.db.pullChangesFrom(reader.remote)
    expect(report.transferred).toBe(2)
    const codes = Object.fromEntries(report.rejected.map((r) => [r.hash, r.error.code]))
    expect(codes).toEqual({ [badSignature.hash]: ErrorCodes.BAD_SIGNATURE, [swapped.hash]: ErrorCodes.HASH_MISMATCH })
    expect(await reader.db.getAllDocumentIds()).toHaveLength(2)
  })

  it('an incremental sync from the server counts them as rejected', async () => {
    const reader = await setup.addDevice()
    const state = await incrementalSync(reader.remote, reader.db)
    expect(state.lastSent).toBe(2)
    expect(state.lastRejected).toBe(2)
  })
})
