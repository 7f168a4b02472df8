import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  asDbName,
  asKeyId,
  asTenantId,
  Database,
  ErrorCodes,
  generateSigningKeyPair,
  KeyBag,
  ready,
  type ChangeHash,
  type DocId,
  type SigningKeyPair,
} from '../src/index.ts'
import {
  createEntry,
  decryptEntry,
  MemoryChangeStore,
  packValue,
  parseEntry,
  toHex,
  type EntryEnvelope,
} from '../src/backend.ts'
import type { DatabaseContext } from '../src/db/index.ts'
import { decodeSnapshotPayload, encodeSnapshotPayload } from '../src/db/snapshotPayload.ts'
import { TrustPolicy } from '../src/tenant/index.ts'

beforeAll(ready)

// Loading a database from its snapshots must give exactly what replaying every entry gives: the
// same data, the same Automerge heads, the same entry-DAG heads (so the next entry follows the same
// parents), every entry reported applied, and no covered entry read from the store.

const TENANT = asTenantId('acme')
const DB = asDbName('orders')
const RUNS = Number(process.env.WEFT_PROPERTY_RUNS ?? 30)

/** A memory store that counts the entries read through `getChanges`. */
class CountingStore extends MemoryChangeStore {
  reads = 0

  override async getChanges(hashes: readonly ChangeHash[]): Promise<EntryEnvelope[]> {
    this.reads += hashes.length
    return super.getChanges(hashes)
  }
}

/** One tenant with two members (two devices), sharing a key bag and a trust policy. */
function tenant() {
  const signers = [generateSigningKeyPair(), generateSigningKeyPair()]
  const keyBag = KeyBag.create()
  const trust = new TrustPolicy(
    TENANT,
    signers.map((s) => s.publicKey),
  )
  const ctx = (signer: SigningKeyPair): DatabaseContext => ({
    tenantId: TENANT,
    signer,
    keyBag,
    trust,
    onTrustChange: () => () => {},
  })
  return { signers, keyBag, ctx }
}

async function entriesOf(store: MemoryChangeStore): Promise<EntryEnvelope[]> {
  return store.getChanges(await store.getAllChangeHashes())
}

/** A store holding `entries` in this order. */
async function storeWith(entries: readonly EntryEnvelope[]): Promise<CountingStore> {
  const store = new CountingStore()
  const result = await store.appendMany(entries)
  expect(result.rejected).toEqual([])
  return store
}

const kindOf = (e: EntryEnvelope) => parseEntry(e.hash, e.bytes).header.kind
const docOf = (e: EntryEnvelope) => parseEntry(e.hash, e.bytes).header.docId

/**
 * Entries a load from `entries` must read: per document, its newest snapshot (by arrival) and the
 * entries that snapshot does not cover; every entry of a document without a snapshot.
 */
function expectedReads(entries: readonly EntryEnvelope[], keyBag: KeyBag): number {
  let reads = 0
  for (const docId of new Set(entries.map(docOf))) {
    const mine = entries.filter((e) => docOf(e) === docId)
    const newest = mine.filter((e) => kindOf(e) === 'snapshot').at(-1)
    const covers = newest
      ? new Set(decodeSnapshotPayload(decryptEntry(parseEntry(newest.hash, newest.bytes), keyBag)).covers)
      : new Set()
    reads += (newest ? 1 : 0) + mine.filter((e) => kindOf(e) !== 'snapshot' && !covers.has(e.hash)).length
  }
  return reads
}

type Op =
  | {
      readonly kind: 'set'
      readonly writer: number
      readonly doc: number
      readonly key: string
      readonly value: number
    }
  | { readonly kind: 'del'; readonly writer: number; readonly doc: number; readonly key: string }
  | { readonly kind: 'push'; readonly writer: number; readonly doc: number; readonly value: number }
  | { readonly kind: 'snapshot'; readonly writer: number; readonly doc: number }
  | { readonly kind: 'sync'; readonly writer: number }
  /** Delivers some of what the other device lacks, maybe newest first: gaps and late parents. */
  | {
      readonly kind: 'syncSome'
      readonly writer: number
      readonly pick: readonly boolean[]
      readonly reversed: boolean
    }

const writer = fc.integer({ min: 0, max: 1 })
const doc = fc.integer({ min: 0, max: 1 })
const key = fc.constantFrom('a', 'b', 'c')
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      writer,
      doc,
      key,
      value: fc.integer({ min: 0, max: 99 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('del' as const), writer, doc, key }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('push' as const), writer, doc, value: fc.integer({ min: 0, max: 99 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), writer, doc }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sync' as const), writer }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('syncSome' as const),
      writer,
      pick: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      reversed: fc.boolean(),
    }),
  },
)
const program = fc.record({
  snapshotEvery: fc.constantFrom(1, 2, 3, 5, 1_000),
  ops: fc.array(op, { minLength: 1, maxLength: 30 }),
})

describe('loading from snapshots', () => {
  it('gives what replaying every entry gives, reading only the newest snapshot and what it does not cover', async () => {
    await fc.assert(
      fc.asyncProperty(program, async ({ snapshotEvery, ops }) => {
        const t = tenant()
        // Two devices of one tenant, each with its own store, syncing now and then.
        const stores = [new CountingStore(), new CountingStore()]
        const dbs = await Promise.all(
          stores.map((s, i) => Database.open(t.ctx(t.signers[i]!), s, DB, { snapshotEvery })),
        )
        const docIds: DocId[] = []
        for (let d = 0; d < 2; d++)
          docIds.push((await dbs[0]!.createDocument({ data: { list: [] as number[] } })).getId())
        for (const o of ops) {
          const db = dbs[o.writer]!
          if (o.kind === 'sync') {
            await dbs[1 - o.writer]!.pullChangesFrom(db)
            continue
          }
          if (o.kind === 'syncSome') {
            const target = dbs[1 - o.writer]!
            const missing = await db.getStore().findNewChanges(await target.getStore().getAllChangeHashes())
            const chosen = missing.filter((_, i) => o.pick[i % o.pick.length])
            if (o.reversed) chosen.reverse()
            await target.getStore().appendMany(await db.getStore().getChanges(chosen))
            await target.syncStoreChanges(chosen)
            continue
          }
          const id = docIds[o.doc]!
          if (!(await db.getDocument(id))) continue // this device has not received the document yet
          if (o.kind === 'snapshot') await db.snapshot(id)
          else {
            await db.changeDoc(id, (draft) => {
              const data = draft.getData()
              if (o.kind === 'set') data[o.key] = o.value
              else if (o.kind === 'del') delete data[o.key]
              else (data.list ??= []).push(o.value) // no list yet when the create has not arrived
            })
          }
        }

        // Both devices end with every entry (the last ones delivered in one batch), so a load from any
        // snapshot must equal a replay. (While a store lacks entries a snapshot covers, a reload
        // shows their effect and a replay cannot.)
        await dbs[0]!.pullChangesFrom(dbs[1]!)
        await dbs[1]!.pullChangesFrom(dbs[0]!)
        for (let w = 0; w < 2; w++) {
          const live = dbs[w]!
          const entries = await entriesOf(stores[w]!)
          const replayed = await Database.open(
            t.ctx(t.signers[w]!),
            await storeWith(entries.filter((e) => kindOf(e) !== 'snapshot')),
            DB,
          )
          const store = await storeWith(entries)
          const loaded = await Database.open(t.ctx(t.signers[w]!), store, DB)
          expect(store.reads, `device ${w}: entries read`).toBe(expectedReads(entries, t.keyBag))

          expect((await loaded.getAllDocumentIds()).sort(), `device ${w}: documents`).toEqual(
            (await replayed.getAllDocumentIds()).sort(),
          )
          for (const id of await live.getAllDocumentIds()) {
            const [l, s, r] = await Promise.all([live, loaded, replayed].map((db) => db.getDocument(id)))
            expect(s!.toJSON(), `device ${w}: data`).toEqual(r!.toJSON())
            expect(s!.toJSON(), `device ${w}: data as written`).toEqual(l!.toJSON())
            expect(A.getHeads(s!.getData()), `device ${w}: Automerge heads`).toEqual(A.getHeads(r!.getData()))
            expect(s!.getHeads(), `device ${w}: entry heads`).toEqual(r!.getHeads())
            expect(s!.getHeads(), `device ${w}: entry heads as written`).toEqual(l!.getHeads())
          }
          expect(loaded.getMissingEntries(), `device ${w}: gaps`).toEqual(replayed.getMissingEntries())

          // Every entry, covered or read, is reported applied.
          const status = await loaded.syncStoreChanges(entries.map((e) => e.hash))
          expect(status.applied.sort(), `device ${w}: applied`).toEqual(entries.map((e) => e.hash).sort())
          expect([...status.rejected, ...status.locked, ...status.untrusted], `device ${w}: not applied`).toEqual([])

          // The next entry follows the same parents whichever way the document was loaded.
          for (const id of await live.getAllDocumentIds()) {
            const deps = await Promise.all(
              [loaded, replayed].map(async (db) => {
                const before = new Set(await db.getStore().getAllChangeHashes())
                await db.changeDoc(id, (draft) => void (draft.getData().next = w))
                const added = (await db.getStore().getAllChangeHashes()).filter((h) => !before.has(h))
                const [change] = await db.getStore().getChanges(added)
                return parseEntry(change!.hash, change!.bytes).header.deps
              }),
            )
            expect(deps[0], `device ${w}: deps of the next entry`).toEqual(deps[1])
          }
          await Promise.all([loaded.close(), replayed.close()])
        }
        await Promise.all(dbs.map((db) => db.close()))
      }),
      {
        numRuns: RUNS,
        // Found by this property: concurrent delete and set of one key in the tail of a snapshot
        // (the loaded document's view kept the value the history did not).
        examples: [
          [
            {
              snapshotEvery: 3,
              ops: [
                { kind: 'set', writer: 0, doc: 1, key: 'b', value: 0 },
                { kind: 'snapshot', writer: 0, doc: 1 },
                { kind: 'syncSome', writer: 0, pick: [false, false, true], reversed: false },
                { kind: 'del', writer: 0, doc: 1, key: 'b' },
                { kind: 'set', writer: 1, doc: 1, key: 'b', value: 1 },
              ],
            },
          ],
        ],
      },
    )
  }, 120_000)

  /**
   * A document with a good snapshot after 5 changes and 3 more changes, then a snapshot carrying
   * `payload`, validly encrypted and signed by the tenant's other member, as its newest.
   */
  async function withBadNewestSnapshot(payload: Uint8Array) {
    const t = tenant()
    const store = new CountingStore()
    const db = await Database.open(t.ctx(t.signers[0]!), store, DB, { snapshotEvery: 1_000 })
    const doc = await db.createDocument({ data: { n: 0 } })
    for (let i = 1; i <= 5; i++) await db.changeDoc(doc, (d) => void (d.getData().n = i))
    const good = await db.snapshot(doc)
    for (let i = 6; i <= 8; i++) await db.changeDoc(doc, (d) => void (d.getData().n = i))
    const key = t.keyBag.current('default')
    const entry = createEntry({
      kind: 'snapshot',
      docId: doc.getId(),
      origin: { tenant: TENANT, db: DB },
      deps: doc.getHeads(),
      keyId: asKeyId('default'),
      keyVersion: key.version,
      key: key.key,
      author: t.signers[1]!,
      payload,
    })
    expect((await store.append(entry)).rejected).toEqual([])
    const expected = { data: doc.toJSON(), heads: doc.getHeads() }
    await db.close()
    store.reads = 0
    const loaded = await Database.open(t.ctx(t.signers[0]!), store, DB)
    return { loaded, store, good, bad: entry.hash, docId: doc.getId(), expected }
  }

  // The codes are the ones docs/errors.md gives for a snapshot that does not load.
  it.each([
    ['whose payload is not a snapshot payload', () => packValue({ nothing: 'here' }), ErrorCodes.MALFORMED_ENTRY],
    [
      'whose save is not an Automerge document',
      () => encodeSnapshotPayload(new Uint8Array([1, 2, 3]), [], []),
      ErrorCodes.DECRYPT_FAILED,
    ],
  ])('falls back to the older snapshot when the newest one %s, and reports it refused', async (_, payload, code) => {
    const { loaded, store, good, bad, docId, expected } = await withBadNewestSnapshot(payload())
    const doc = await loaded.getDocument(docId)
    expect(doc?.toJSON()).toEqual(expected.data)
    expect(doc?.getHeads()).toEqual(expected.heads)
    // The bad snapshot, the good one, and the 3 changes after the good one.
    expect(store.reads).toBe(5)
    const status = await loaded.syncStoreChanges([good, bad])
    expect(status.applied).toEqual([good])
    expect(status.rejected.map((r) => [r.hash, r.error.code])).toEqual([[bad, code]])
  })
})

describe('snapshot payload', () => {
  const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b) as ChangeHash)

  it('round-trips the save bytes, covered hashes and refs', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.array(hash, { maxLength: 50 }),
        fc.array(hash, { maxLength: 5 }),
        (save, covers, refs) => {
          const decoded = decodeSnapshotPayload(encodeSnapshotPayload(save, covers, refs))
          expect(decoded.save).toEqual(save)
          expect(decoded.covers).toEqual(covers)
          expect(decoded.refs).toEqual(refs)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('refuses a payload whose hash lists are not whole hashes', () => {
    const payload = packValue({ save: new Uint8Array(3), covers: new Uint8Array(33), refs: new Uint8Array() })
    expect(() => decodeSnapshotPayload(payload)).toThrow(expect.objectContaining({ code: ErrorCodes.MALFORMED_ENTRY }))
  })

  it('refuses to encode a covered hash that is not lowercase hex', () => {
    expect(() => encodeSnapshotPayload(new Uint8Array(), ['AB'.repeat(32) as ChangeHash])).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }),
    )
  })
})
