// Reads from a server follow the same vouching rule as appends: an entry whose own signature fails
// is authentic when an authentic entry of its author, read with it or held by the store the read
// is for, lists its hash. So a pull accepts exactly what a direct append would.

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  copyEntries,
  ErrorCodes,
  generateSigningKeyPair,
  MemoryChangeStore,
  ready,
  toHex,
  type ChangeHash,
  type VerifiedEntry,
} from '@weft/core/backend'
import { EntryFactory, envelope, withBadSignature } from '@weft/core/testing'
import { WeftServer } from '@weft/server'
import { registerMembers, RemoteChangeStore, ServerConnection } from '../src/index.ts'

/**
 * A store that takes a while to store what it checked, as a disk-backed one under load does:
 * overlapping appends queue for their turn, taken when called.
 */
class SlowStore extends MemoryChangeStore {
  protected override async _appendVerified(entries: readonly VerifiedEntry[]): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 30))
    return super._appendVerified(entries)
  }
}

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

  it('takes what a copy one batch at a time takes, though it reads each batch ahead of storing the one before', async () => {
    const f = new EntryFactory(1)
    const bad = withBadSignature(f.entry(0))
    const tip = envelope(f.entry(0, [bad.hash]))
    await remote.appendMany([bad, tip])
    // The voucher comes first, one entry per batch: the bad-signature entry is read (ahead) before
    // the voucher is stored, and taken once it is.
    const target = new SlowStore()
    const copied = await copyEntries(remote, target, [tip.hash, bad.hash], 1)
    expect(copied.rejected).toEqual([])
    expect(new Set(copied.added)).toEqual(new Set([tip.hash, bad.hash]))
  })

  it('accepts what a copy one batch at a time accepts, whatever the batch size and order (property)', async () => {
    // A chain by one author in which every other entry carries a bad signature, vouched for by the
    // next link. Whether a copy takes a bad entry depends on whether its voucher was stored first;
    // a copy that reads ahead must decide every entry as a copy that reads each batch only once
    // the one before it is stored.
    const x = new EntryFactory(1)
    const chain: { hash: ChangeHash; bytes: Uint8Array }[] = []
    let deps: ChangeHash[] = []
    for (let i = 0; i < 6; i++) {
      const e = i % 2 === 0 ? withBadSignature(x.entry(0, deps)) : envelope(x.entry(0, deps))
      chain.push(e)
      deps = [e.hash]
    }
    const all = chain
    await remote.appendMany(all)
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(
          all.map((e) => e.hash),
          { minLength: all.length },
        ),
        fc.integer({ min: 1, max: all.length }),
        fc.integer({ min: 1, max: all.length }),
        async (order, batchSize, maxBatch) => {
          const reference = new MemoryChangeStore()
          const taken: ChangeHash[] = []
          const refused: ChangeHash[] = []
          for (let i = 0; i < order.length; i += batchSize) {
            const one = await copyEntries(remote, reference, order.slice(i, i + batchSize), batchSize)
            taken.push(...one.added)
            refused.push(...one.rejected.map((r) => r.hash))
          }
          // A target slower to store than the server is to answer: each read-ahead is checked
          // before the batch before it is stored.
          const target = new SlowStore()
          const copied = await copyEntries(remote, target, order, batchSize)
          expect(new Set(copied.added)).toEqual(new Set(taken))
          expect(new Set(copied.rejected.map((r) => r.hash))).toEqual(new Set(refused))
          expect(taken.length + refused.length).toBe(all.length)
          // A target slow to commit, whose appends overlap (each batch's starts before the one
          // before it is stored), in batches cut to what it takes in one append: it decides as a
          // copy of batches of that size one at a time.
          const size = Math.min(batchSize, maxBatch)
          const inTurn = new MemoryChangeStore()
          const inTurnTaken: ChangeHash[] = []
          for (let i = 0; i < order.length; i += size)
            inTurnTaken.push(...(await copyEntries(remote, inTurn, order.slice(i, i + size), size)).added)
          const overlapped = await copyEntries(remote, new SlowStore({ maxBatch }), order, batchSize)
          expect(new Set(overlapped.added)).toEqual(new Set(inTurnTaken))
          expect(overlapped.added.length + overlapped.rejected.length).toBe(all.length)
        },
      ),
      { numRuns: 40 },
    )
  })
})
