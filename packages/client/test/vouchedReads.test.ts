// Reads from a server follow the same vouching rule as appends: an entry whose own signature fails
// is authentic when an authentic entry of its author, read with it or held by the store the read
// is for, lists its hash. So a pull accepts exactly what a direct append would.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyEntries, ErrorCodes, generateSigningKeyPair, MemoryChangeStore, ready, toHex } from '@weft/core/backend'
import { EntryFactory, envelope, withBadSignature } from '@weft/core/testing'
import { WeftServer } from '@weft/server'
import { registerMembers, RemoteChangeStore, ServerConnection } from '../src/index.ts'

let server: WeftServer
let remote: RemoteChangeStore

beforeAll(async () => {
  await ready()
  const key = generateSigningKeyPair()
  server = await WeftServer.start({ authors: 'any' })
  await registerMembers({ url: server.url, tenant: 'vouched', admin: key, seq: 1 })
  remote = new RemoteChangeStore({
    connection: new ServerConnection({ url: server.url, tenant: 'vouched', key }),
    db: 'db',
  })
})
afterAll(async () => {
  await remote?.close()
  await server?.close()
})

describe('reading vouched entries from a server', () => {
  it('accepts an entry by its voucher: in the same read, or held by the store the read is for', async () => {
    const f = new EntryFactory(1)
    const bad = withBadSignature(f.entry(0))
    const tip = envelope(f.entry(0, [bad.hash]))
    // The server takes both in one push: the tip vouches for the bad-signature entry.
    expect(new Set((await remote.appendMany([bad, tip])).added)).toEqual(new Set([bad.hash, tip.hash]))

    // Read alone, with nothing to vouch for it: refused with its code.
    const alone = await remote.getChangesChecked([bad.hash])
    expect(alone.entries).toEqual([])
    expect(alone.rejected).toMatchObject([{ hash: bad.hash, error: { code: ErrorCodes.BAD_SIGNATURE } }])

    // Read with its voucher: both verify.
    const together = await remote.getChangesChecked([bad.hash, tip.hash])
    expect(together.entries.map((e) => e.hash)).toEqual([bad.hash, tip.hash])
    expect(together.rejected).toEqual([])

    // Read alone for a store that holds the voucher: that store vouches, so a copy takes it.
    const holder = new MemoryChangeStore()
    await holder.appendMany([envelope(tip)])
    const copied = await copyEntries(remote, holder, [bad.hash])
    expect(copied.added).toEqual([bad.hash])
    expect(copied.rejected).toEqual([])

    // A store without the voucher refuses it, as a direct append would.
    const empty = new MemoryChangeStore()
    const refused = await copyEntries(remote, empty, [bad.hash])
    expect(refused.added).toEqual([])
    expect(refused.rejected).toMatchObject([{ hash: bad.hash, error: { code: ErrorCodes.BAD_SIGNATURE } }])
    expect((await empty.appendMany([{ hash: bad.hash, bytes: bad.bytes.slice() }])).rejected).toHaveLength(1)
  })

  it('never takes a voucher of another author', async () => {
    const x = new EntryFactory(1)
    const y = new EntryFactory(1)
    const foreign = withBadSignature(y.entry(0))
    const tip = envelope(x.entry(0, [foreign.hash]))
    const r = await remote.appendMany([foreign, tip])
    expect(r.added).toEqual([tip.hash])
    expect(r.rejected).toMatchObject([{ hash: foreign.hash, error: { code: ErrorCodes.BAD_SIGNATURE } }])
    const holder = new MemoryChangeStore()
    await holder.appendMany([envelope(tip)])
    // The holder's tip lists the hash, but for the claim of the entry's own author it does not vouch.
    const claim = (author: Uint8Array) => ({ hash: foreign.hash, author: toHex(author) })
    expect(await holder.vouched([claim(y.signer.publicKey), claim(x.signer.publicKey)])).toEqual([false, true])
    expect((await copyEntries(remote, holder, [foreign.hash])).rejected).toHaveLength(0) // the server never took it
  })
})
