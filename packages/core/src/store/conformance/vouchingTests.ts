import fc from 'fast-check'
import { expect, it } from 'vitest'
import { hashEntryBytes } from '../../entries/index.ts'
import { ErrorCodes } from '../../errors.ts'
import type { ChangeHash } from '../../types.ts'
import type { ChangeStore } from '../ChangeStore.ts'
import { EntryFactory, envelope, withBadSignature } from './fixtures.ts'
import type { StoreHarness } from './runChangeStoreTests.ts'

type Envelope = { hash: ChangeHash; bytes: Uint8Array }

/** An entry of a pool, and the hashes of same-author pool entries it lists (the model's links). */
interface PoolEntry {
  readonly env: Envelope
  readonly author: string
  readonly goodSignature: boolean
  readonly deps: readonly ChangeHash[]
}

/**
 * A pool exercising every case of the vouching rule: an honest author's chain; a dishonest
 * author's chain whose older entries carry bad signatures under a good tip; a bad-signature chain
 * under a tip whose own signature is bad too (vouched by nothing); an entry of another author with
 * a bad signature listed by a good entry (another author vouches for nothing); a lone bad entry.
 */
function vouchingPool(): PoolEntry[] {
  const honest = new EntryFactory(1)
  const dishonest = new EntryFactory(2)
  const other = new EntryFactory(1)
  const pool: PoolEntry[] = []
  const add = (f: EntryFactory, name: string, docIndex: number, deps: ChangeHash[], good: boolean): ChangeHash => {
    const e = f.entry(docIndex, deps)
    const env = good ? envelope(e) : withBadSignature(e)
    pool.push({ env, author: name, goodSignature: good, deps })
    return env.hash
  }
  const h1 = add(honest, 'honest', 0, [], true)
  add(honest, 'honest', 0, [add(honest, 'honest', 0, [h1], true)], true)
  const d1 = add(dishonest, 'dishonest', 0, [], false)
  const d2 = add(dishonest, 'dishonest', 0, [d1], false)
  add(dishonest, 'dishonest', 0, [d2], true)
  const b1 = add(dishonest, 'dishonest', 1, [], false)
  add(dishonest, 'dishonest', 1, [b1], false)
  const o1 = add(other, 'other', 0, [], false)
  add(dishonest, 'dishonest', 0, [o1], true)
  add(other, 'other', 0, [], false)
  return pool
}

/** The rule as a model: signatures that verify, closed under same-author `deps` links. */
function authenticSet(pool: readonly PoolEntry[]): Set<ChangeHash> {
  const byHash = new Map(pool.map((p) => [p.env.hash, p]))
  const out = new Set<ChangeHash>()
  const stack = pool.filter((p) => p.goodSignature)
  for (let p = stack.pop(); p; p = stack.pop()) {
    if (out.has(p.env.hash)) continue
    out.add(p.env.hash)
    for (const d of p.deps) {
      const v = byHash.get(d)
      if (v && v.author === p.author) stack.push(v)
    }
  }
  return out
}

const copy = (e: Envelope): Envelope => ({ hash: e.hash, bytes: e.bytes.slice() })

/** Offers what the store lacks, batch by batch, until a round adds nothing (what sync does: it re-offers what the other side lacks). */
async function offerUntilStable(store: ChangeStore, pool: readonly PoolEntry[], batches: number[][]): Promise<void> {
  for (;;) {
    let added = 0
    for (const b of batches) {
      const held = await store.has(b.map((i) => pool[i]!.env.hash))
      const lacking = b.filter((_, k) => !held[k])
      if (lacking.length) added += (await store.appendMany(lacking.map((i) => copy(pool[i]!.env)))).added.length
    }
    if (added === 0) return
  }
}

/**
 * The vouching rule of the security model (an entry is authentic iff its own signature verifies
 * or an authentic entry by the same author, in the same batch or already held, lists its hash in
 * `deps`): each soundness rule, and acceptance that does not depend on batching or order.
 */
export function vouchingTests(
  setup: () => Promise<StoreHarness>,
  harness: () => StoreHarness,
  persistent: boolean,
): void {
  const store = () => harness().store

  it('accepts bad signatures in one batch under a good tip by the same author (one signature check per chain)', async () => {
    const f = new EntryFactory(1)
    const a = withBadSignature(f.entry(0))
    const b = withBadSignature(f.entry(0, [a.hash]))
    const tip = envelope(f.entry(0, [b.hash]))
    const r = await store().appendMany([a, b, tip])
    expect(r.rejected).toEqual([])
    expect(new Set(r.added)).toEqual(new Set([a.hash, b.hash, tip.hash]))
  })

  it('counts a vouch only from an entry that is authentic itself', async () => {
    const f = new EntryFactory(1)
    const a = withBadSignature(f.entry(0))
    const tip = withBadSignature(f.entry(0, [a.hash]))
    const r = await store().appendMany([a, tip])
    expect(r.added).toEqual([])
    expect(new Map(r.rejected.map((x) => [x.hash, x.error.code]))).toEqual(
      new Map([
        [a.hash, ErrorCodes.BAD_SIGNATURE],
        [tip.hash, ErrorCodes.BAD_SIGNATURE],
      ]),
    )
  })

  it('never vouches along a link to another author: that entry is verified on its own', async () => {
    const x = new EntryFactory(1)
    const y = new EntryFactory(1)
    const foreign = withBadSignature(y.entry(0))
    const tip = envelope(x.entry(0, [foreign.hash]))
    const r = await store().appendMany([foreign, tip])
    expect(r.added).toEqual([tip.hash])
    expect(r.rejected.map((e) => [e.hash, e.error.code])).toEqual([[foreign.hash, ErrorCodes.BAD_SIGNATURE]])
    // Nor once the voucher is held.
    const again = await store().appendMany([copy(foreign)])
    expect(again.rejected.map((e) => e.error.code)).toEqual([ErrorCodes.BAD_SIGNATURE])
  })

  it('verifies bytes that are not the ones a voucher listed on their own', async () => {
    const f = new EntryFactory(1)
    const listed = f.entry(0)
    const tip = envelope(f.entry(0, [listed.hash]))
    // Other bytes (one bit of the ciphertext flipped) under their own hash: not what the tip
    // listed, so verified on their own, and the signature does not cover them.
    const altered = listed.bytes.slice()
    altered[altered.length - 70]! ^= 0x01
    const other = { hash: hashEntryBytes(altered), bytes: altered }
    // The same bytes claiming the listed hash.
    const claiming = { hash: listed.hash, bytes: altered.slice() }
    const r = await store().appendMany([tip, other, claiming])
    expect(r.added).toEqual([tip.hash])
    expect(new Map(r.rejected.map((e) => [e.hash, e.error.code]))).toEqual(
      new Map([
        [other.hash, ErrorCodes.BAD_SIGNATURE],
        [listed.hash, ErrorCodes.HASH_MISMATCH],
      ]),
    )
  })

  it('authenticates an entry arriving after its voucher by its hash alone', async () => {
    const f = new EntryFactory(1)
    const a = withBadSignature(f.entry(0))
    const b = withBadSignature(f.entry(0, [a.hash]))
    const tip = envelope(f.entry(0, [b.hash]))
    expect((await store().appendMany([tip])).added).toEqual([tip.hash])
    let s = store()
    if (persistent) s = await harness().reopen!() // what the store holds vouches, not what it remembers
    expect((await s.appendMany([copy(b)])).added).toEqual([b.hash])
    expect((await s.appendMany([copy(a)])).added).toEqual([a.hash])
  })

  it('refuses an entry arriving before its voucher, and accepts it when offered again after', async () => {
    const f = new EntryFactory(1)
    const a = withBadSignature(f.entry(0))
    const tip = envelope(f.entry(0, [a.hash]))
    const first = await store().appendMany([copy(a)])
    expect(first.rejected.map((e) => e.error.code)).toEqual([ErrorCodes.BAD_SIGNATURE])
    expect((await store().appendMany([tip])).added).toEqual([tip.hash])
    expect((await store().appendMany([copy(a)])).added).toEqual([a.hash])
  })

  it('decides overlapping appends as it would the same appends one after another', async () => {
    const f = new EntryFactory(1)
    const a = withBadSignature(f.entry(0))
    const tip = envelope(f.entry(0, [a.hash]))
    // Called first, the voucher commits first: the entry it vouches for is accepted.
    const [first, second] = await Promise.all([store().appendMany([tip]), store().appendMany([copy(a)])])
    expect([first.added, second.added, second.rejected]).toEqual([[tip.hash], [a.hash], []])
    // Called before its voucher, an entry is judged without it, even if the voucher is checked first.
    const b = withBadSignature(f.entry(1))
    const tipB = envelope(f.entry(1, [b.hash]))
    const [early, late] = await Promise.all([store().appendMany([copy(b)]), store().appendMany([tipB])])
    expect(early.rejected.map((e) => e.error.code)).toEqual([ErrorCodes.BAD_SIGNATURE])
    expect(late.added).toEqual([tipB.hash])
  })

  it('gives overlapping appends of any batching the outcome of the same appends in turn', async () => {
    const pool = vouchingPool()
    const outcome = (r: Awaited<ReturnType<ChangeStore['appendMany']>>) => ({
      added: new Set(r.added),
      existing: new Set(r.existing),
      rejected: new Map(r.rejected.map((x) => [x.hash, x.error.code])),
    })
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(
          pool.map((_, i) => i),
          { minLength: pool.length, maxLength: pool.length },
        ),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 12 }),
        async (perm, sizes) => {
          const batches: Envelope[][] = []
          for (let i = 0, k = 0; i < perm.length; k++) {
            const n = sizes[k % sizes.length]!
            batches.push(perm.slice(i, i + n).map((j) => copy(pool[j]!.env)))
            i += n
          }
          const inTurn = await setup()
          const overlapping = await setup()
          try {
            const expected = []
            for (const b of batches) expected.push(outcome(await inTurn.store.appendMany(b.map(copy))))
            const got = await Promise.all(batches.map((b) => overlapping.store.appendMany(b.map(copy))))
            expect(got.map(outcome)).toEqual(expected)
            expect(new Set(await overlapping.store.getAllChangeHashes())).toEqual(
              new Set(await inTurn.store.getAllChangeHashes()),
            )
          } finally {
            await inTurn.teardown()
            await overlapping.teardown()
          }
        },
      ),
      { numRuns: 12 },
    )
  })

  it('holds the same set whatever the batching and order of delivery (sync re-offering what it lacks)', async () => {
    const pool = vouchingPool()
    const expected = authenticSet(pool)
    // The model agrees with the store taking everything at once.
    const whole = await setup()
    try {
      await whole.store.appendMany(pool.map((p) => copy(p.env)))
      expect(new Set(await whole.store.getAllChangeHashes())).toEqual(expected)
    } finally {
      await whole.teardown()
    }
    const order = fc.shuffledSubarray(
      pool.map((_, i) => i),
      { minLength: pool.length, maxLength: pool.length },
    )
    await fc.assert(
      fc.asyncProperty(
        order,
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 12 }),
        async (perm, sizes) => {
          const batches: number[][] = []
          for (let i = 0, k = 0; i < perm.length; k++) {
            const n = sizes[k % sizes.length]!
            batches.push(perm.slice(i, i + n))
            i += n
          }
          const local = await setup()
          try {
            await offerUntilStable(local.store, pool, batches)
            expect(new Set(await local.store.getAllChangeHashes())).toEqual(expected)
          } finally {
            await local.teardown()
          }
        },
      ),
      { numRuns: 12 },
    )
  })
}
