// Bad input at the edge: every way an entry can arrive broken, forged, replayed, duplicated or
// unreadable. Each case asserts the stable error `code` (never the message) and that the rest of
// the batch it arrived in was applied: once through `store.appendMany` on one reader, once
// through `db.pullChangesFrom` from a relay that serves the batch as is on another.

import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  isWeftError,
  ready,
  TEST_KDF,
  type ChangeHash,
  type Database,
  type DocId,
  type ErrorCode,
  type MaterialiseReport,
} from '@weft/core'
import { createEntry, hashEntryBytes, MemoryChangeStore, parseEntry, type EntryEnvelope } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import {
  containsBytes,
  entryLayout,
  envelopesOf,
  fieldAt,
  flipBit,
  overwrite,
  rehashed,
  underHash,
  type EntryLayout,
} from './helpers/entries.ts'
import { RawRelayStore } from './helpers/RawRelayStore.ts'
import { ConfigurableStoreFactory, loneTenant, partnerTenants, settle, type PartnerTenants } from './helpers/tenants.ts'

beforeAll(ready)

const SEED = Number(process.env.WEFT_FC_SEED ?? 0xbad_1)

// ---------------------------------------------------------------------------------------------
// Fixture: a writer and two readers, partners for `shared` (and `orders`), sharing key `collab`.

/** Strings the writer puts into documents; no entry may contain them. */
const MARKERS = ['SECRET-VALUE-', 'confidentialFieldName', 'nestedSecretKey']

interface Fixture {
  readonly s: PartnerTenants
  readonly writer: Database
  /** Reader that receives batches through `store.appendMany`. */
  readonly viaStore: Database
  /** Reader that receives batches through `pullChangesFrom` a relay. */
  readonly viaPull: Database
  /** A document whose last entry is the victim. */
  readonly victimDoc: DocId
  /** A `change` entry (the writer's newest) that the cases tamper with. */
  readonly victim: EntryEnvelope
  /** Every other entry the writer made: creates, changes, a snapshot, a delete. */
  readonly good: EntryEnvelope[]
}

async function fixture(options: { storeFactory?: ConfigurableStoreFactory } = {}): Promise<Fixture> {
  const s = await partnerTenants({
    ids: ['writer', 'reader-store', 'reader-pull'],
    alsoLink: ['orders'],
    ...(options.storeFactory ? { storeFactory: options.storeFactory } : {}),
  })
  const writer = s.dbs[0]!
  for (let i = 0; i < 3; i++) {
    const doc = await writer.createDocument({
      data: {
        title: `${MARKERS[0]}title-${i}`,
        confidentialFieldName: `${MARKERS[0]}${i}`,
        nested: { nestedSecretKey: i },
      },
    })
    await writer.changeDoc(doc, (d) => void (d.getData().status = `${MARKERS[0]}status-${i}`))
    if (i === 1) await writer.snapshot(doc)
    if (i === 2) await writer.deleteDocument(doc)
  }
  const victimDoc = await writer.createDocument({ data: { title: 'victim' } })
  await writer.changeDoc(victimDoc, (d) => void (d.getData().victimField = `${MARKERS[0]}victim`))
  const all = await envelopesOf(writer.getStore())
  return {
    s,
    writer,
    viaStore: s.dbs[1]!,
    viaPull: s.dbs[2]!,
    victimDoc: victimDoc.getId(),
    victim: all.at(-1)!,
    good: all.slice(0, -1),
  }
}

const hashes = (list: readonly { hash: ChangeHash }[]): ChangeHash[] => list.map((e) => e.hash).sort()
const sorted = (list: readonly ChangeHash[]): ChangeHash[] => [...list].sort()

/** `good` with `bad` inserted at `at` (default: the middle). */
function withBad(
  good: readonly EntryEnvelope[],
  bad: EntryEnvelope | readonly EntryEnvelope[],
  at = Math.floor(good.length / 2),
): EntryEnvelope[] {
  return [...good.slice(0, at), ...(Array.isArray(bad) ? bad : [bad as EntryEnvelope]), ...good.slice(at)]
}

function expectNothingHeld(report: MaterialiseReport): void {
  expect(report.rejected.map((r) => r.error.code)).toEqual([])
  expect(report.locked).toEqual([])
  expect(report.untrusted).toEqual([])
}

/** Every good entry materialised: the reader's documents equal the writer's, apart from the victim's last change. */
async function expectGoodApplied(fx: Fixture, reader: Database): Promise<void> {
  await settle(reader)
  const goodDocs = new Set(fx.good.map(docIdOf))
  for (const info of await fx.writer.listDocuments()) {
    if (info.id === fx.victimDoc || !goodDocs.has(info.id)) continue
    expect(await reader.getDocumentStatus(info.id), `status of ${info.id}`).toBe(info.status)
    expect((await reader.getDocument(info.id))?.toJSON()).toEqual((await fx.writer.getDocument(info.id))?.toJSON())
  }
  expect((await reader.getDocument(fx.victimDoc))?.toJSON()).toEqual({ title: 'victim' })
}

/**
 * Delivers `batch` (every good entry plus the bad ones) to both readers and checks the outcome:
 * exactly the bad entries refused, each with `code`; every good entry added and materialised.
 */
async function expectRefused(
  fx: Fixture,
  batch: readonly EntryEnvelope[],
  bad: readonly ChangeHash[],
  code: ErrorCode,
): Promise<void> {
  const good = hashes(fx.good)

  const appended = await fx.viaStore.getStore().appendMany(batch)
  expect(appended.rejected.map((r) => r.error.code)).toEqual(bad.map(() => code))
  expect(sorted(appended.rejected.map((r) => r.hash))).toEqual(sorted(bad))
  expect(sorted(appended.added)).toEqual(good)
  expect(appended.existing).toEqual([])
  const report = await fx.viaStore.syncStoreChanges(appended.added)
  expectNothingHeld(report)
  expect(sorted(report.applied)).toEqual(good)
  await expectGoodApplied(fx, fx.viaStore)

  const pulled = await fx.viaPull.pullChangesFrom(new RawRelayStore(batch))
  expect(pulled.rejected.map((r) => r.error.code)).toEqual(bad.map(() => code))
  expect(sorted(pulled.rejected.map((r) => r.hash))).toEqual(sorted(bad))
  expect(pulled.transferred).toBe(fx.good.length)
  expectNothingHeld(pulled.materialised)
  expect(sorted(pulled.materialised.applied)).toEqual(good)
  await expectGoodApplied(fx, fx.viaPull)

  // Nothing of the bad entries was kept, and the genuine victim is still accepted afterwards.
  for (const reader of [fx.viaStore, fx.viaPull]) {
    expect(await reader.getStore().has(bad)).toEqual(bad.map(() => false))
    const genuine = await reader.getStore().appendMany([fx.victim])
    expect(genuine.added).toEqual([fx.victim.hash])
    expectNothingHeld(await reader.syncStoreChanges([fx.victim.hash]))
    expect((await reader.getDocument(fx.victimDoc))?.getData().victimField).toBe(`${MARKERS[0]}victim`)
  }
}

/** Where each field of the victim sits. */
const layoutOf = (e: EntryEnvelope): EntryLayout => entryLayout(e.bytes)

// ---------------------------------------------------------------------------------------------

describe('tampered entries are refused by code, the rest of the batch applies', () => {
  it('a flipped ciphertext bit: WEFT_BAD_SIGNATURE', async () => {
    const fx = await fixture()
    const { ciphertext } = layoutOf(fx.victim)
    const bad = rehashed(flipBit(fx.victim.bytes, ciphertext.start + 5, 3))
    await expectRefused(fx, withBad(fx.good, bad), [bad.hash], ErrorCodes.BAD_SIGNATURE)
  })

  const metadata: [string, (bytes: Uint8Array, l: EntryLayout) => Uint8Array][] = [
    ['keyVersion 1 → 2', (b, l) => overwrite(b, l.keyVersion.start, Uint8Array.of(2))],
    ['createdAt moved by 1 ms', (b, l) => flipBit(b, l.createdAt.start, 0)],
    ['origin tenant, last byte', (b, l) => flipBit(b, l.originTenant.end - 1, 0)],
    ['origin database, last byte', (b, l) => flipBit(b, l.originDb.end - 1, 0)],
    ['docId', (b, l) => flipBit(b, l.docId.start, 7)],
    ['kind change → delete', (b, l) => overwrite(b, l.kind.start, Uint8Array.of(3))],
    ['a dependency hash', (b, l) => flipBit(b, l.deps.end - 1, 2)],
    ['keyId, last byte', (b, l) => flipBit(b, l.keyId.end - 1, 1)],
    ['nonce', (b, l) => flipBit(b, l.nonce.start + 7, 4)],
    ['author', (b, l) => flipBit(b, l.author.end - 1, 0)],
    ['signature', (b, l) => flipBit(b, l.signature.start, 0)],
  ]
  it.each(metadata)('an altered metadata field (%s): WEFT_BAD_SIGNATURE', async (_, alter) => {
    const fx = await fixture()
    const bad = rehashed(alter(fx.victim.bytes, layoutOf(fx.victim)))
    await expectRefused(fx, withBad(fx.good, bad), [bad.hash], ErrorCodes.BAD_SIGNATURE)
  })

  it('a signature by another key: WEFT_BAD_SIGNATURE', async () => {
    const fx = await fixture()
    const mallory = new EntryFactory(1)
    const { header } = parseEntry(fx.victim.hash, fx.victim.bytes)
    // Mallory signs an entry of her own that claims the writer as its author...
    const forged = createEntry({
      kind: 'change',
      docId: header.docId,
      origin: header.origin,
      deps: header.deps,
      keyId: header.keyId,
      keyVersion: header.keyVersion,
      key: mallory.key,
      payload: new Uint8Array(16),
      author: mallory.signer,
    })
    const claimsWriter = rehashed(overwrite(forged.bytes, layoutOf(forged).author.start, fx.s.tenants[0]!.signingKey))
    // ...and grafts her signature onto the writer's genuine bytes.
    const grafted = rehashed(overwrite(fx.victim.bytes, layoutOf(fx.victim).signature.start, forged.signature))
    await expectRefused(
      fx,
      withBad(fx.good, [claimsWriter, grafted]),
      [claimsWriter.hash, grafted.hash],
      ErrorCodes.BAD_SIGNATURE,
    )
  })

  it('bytes that do not hash to their envelope hash: WEFT_HASH_MISMATCH, and the hash is not poisoned', async () => {
    const fx = await fixture()
    // Tampered bytes under the genuine hash (a lying relay), and genuine bytes under a made-up hash.
    const lying = underHash(fx.victim.hash, flipBit(fx.victim.bytes, 40, 0))
    const madeUp = underHash(hashEntryBytes(new Uint8Array([1, 2, 3])), fx.victim.bytes.slice())
    // expectRefused delivers the genuine victim last: refusing the lie must not have blocked its hash.
    await expectRefused(fx, withBad(fx.good, [lying, madeUp]), [lying.hash, madeUp.hash], ErrorCodes.HASH_MISMATCH)
  })

  it('a truncated encoding, at every length: WEFT_MALFORMED_ENTRY', async () => {
    const fx = await fixture()
    const truncated = Array.from({ length: fx.victim.bytes.length }, (_, n) => rehashed(fx.victim.bytes.slice(0, n)))
    await expectRefused(
      fx,
      withBad(fx.good, truncated),
      truncated.map((t) => t.hash),
      ErrorCodes.MALFORMED_ENTRY,
    )
  })

  it('a truncated encoding anywhere in a batch (property): WEFT_MALFORMED_ENTRY, the batch applies', async () => {
    const fx = await fixture()
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: fx.victim.bytes.length - 1 }),
        fc.nat({ max: fx.good.length }),
        async (length, at) => {
          const store = new MemoryChangeStore()
          const bad = rehashed(fx.victim.bytes.slice(0, length))
          const result = await store.appendMany(withBad(fx.good, bad, at))
          expect(result.rejected.map((r) => [r.hash, r.error.code])).toEqual([[bad.hash, ErrorCodes.MALFORMED_ENTRY]])
          expect(sorted(result.added)).toEqual(hashes(fx.good))
        },
      ),
      { numRuns: 60, seed: SEED },
    )
  })

  it('an encoding over the store size limit: WEFT_ENTRY_TOO_LARGE', async () => {
    const limits = { maxEntryBytes: 4096, maxDeps: 1024 }
    const fx = await fixture({
      storeFactory: new ConfigurableStoreFactory((name) => (name.startsWith('reader') ? { limits } : {})),
    })
    const big = await fx.writer.createDocument({
      data: { blob: `${MARKERS[0]}${'x'.repeat(3 * limits.maxEntryBytes)}` },
    })
    const [oversized] = await envelopesOf(
      fx.writer.getStore(),
      await fx.writer.getStore().getAllChangeHashesForDoc(big.getId()),
    )
    expect(oversized!.bytes.length).toBeGreaterThan(limits.maxEntryBytes)
    for (const e of fx.good) expect(e.bytes.length).toBeLessThanOrEqual(limits.maxEntryBytes)
    await expectRefused(fx, withBad(fx.good, oversized!), [oversized!.hash], ErrorCodes.ENTRY_TOO_LARGE)
  })

  it('a length field claiming more than the size limit: WEFT_ENTRY_TOO_LARGE', async () => {
    const fx = await fixture()
    const l = layoutOf(fx.victim)
    const b = fx.victim.bytes
    // The ciphertext length prefix rewritten to 2^40 (a LEB128 varint), the rest as it was.
    const huge = Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x20)
    const bytes = new Uint8Array([
      ...b.subarray(0, l.ciphertextLength.start),
      ...huge,
      ...b.subarray(l.ciphertextLength.end),
    ])
    const bad = rehashed(bytes)
    await expectRefused(fx, withBad(fx.good, bad), [bad.hash], ErrorCodes.ENTRY_TOO_LARGE)
  })
})

describe('batch limits', () => {
  it('too many entries in one call: WEFT_TOO_MANY_ENTRIES, and nothing of it is kept', async () => {
    const store = new MemoryChangeStore({ maxBatch: 3 })
    const fx = await fixture()
    await expect(store.appendMany(fx.good.slice(0, 4))).rejects.toSatisfy((e) =>
      isWeftError(e, ErrorCodes.TOO_MANY_ENTRIES),
    )
    expect((await store.head()).count).toBe(0)
    expect((await store.appendMany(fx.good.slice(0, 3))).added).toHaveLength(3)
  })

  it('a sync into a store with a small batch limit is split into batches it accepts', async () => {
    const factory = new ConfigurableStoreFactory((name) => (name.startsWith('reader') ? { maxBatch: 3 } : {}))
    const fx = await fixture({ storeFactory: factory })
    expect(fx.good.length).toBeGreaterThan(3)
    const pulled = await fx.viaPull.pullChangesFrom(fx.writer)
    expect(pulled.transferred).toBe(fx.good.length + 1)
    expectNothingHeld(pulled.materialised)
  })
})

describe('entries that are kept but not (yet) materialised', () => {
  it('an unknown key id: stored, reported locked with WEFT_KEY_NOT_FOUND, readable once the key is imported', async () => {
    const fx = await fixture()
    const writerTenant = fx.s.tenants[0]!
    await writerTenant.keyBag.generateKey('writer-only')
    const hidden = await fx.writer.createDocument({ keyId: 'writer-only', data: { title: `${MARKERS[0]}hidden` } })
    const [locked] = await envelopesOf(
      fx.writer.getStore(),
      await fx.writer.getStore().getAllChangeHashesForDoc(hidden.getId()),
    )
    const blob = await writerTenant.keyBag.exportKey('writer-only', 'export password', TEST_KDF)

    for (const [i, reader] of [fx.viaStore, fx.viaPull].entries()) {
      const batch = withBad(fx.good, locked!)
      let report: MaterialiseReport
      if (i === 0) {
        const result = await reader.getStore().appendMany(batch)
        expect(result.rejected).toEqual([])
        expect(sorted(result.added)).toEqual(hashes(batch))
        report = await reader.syncStoreChanges(result.added)
      } else {
        const pulled = await reader.pullChangesFrom(new RawRelayStore(batch))
        expect(pulled.rejected).toEqual([])
        expect(pulled.transferred).toBe(batch.length)
        report = pulled.materialised
      }
      expect(report.locked.map((h) => [h.hash, h.code])).toEqual([[locked!.hash, ErrorCodes.KEY_NOT_FOUND]])
      expect(report.rejected).toEqual([])
      expect(report.untrusted).toEqual([])
      expect(sorted(report.applied)).toEqual(hashes(fx.good))
      await expectGoodApplied(fx, reader)
      expect(await reader.getDocumentStatus(hidden.getId())).toBe('locked')
      expect(await reader.getDocument(hidden.getId())).toBeUndefined()
      expect(await reader.getAllDocumentIds()).not.toContain(hidden.getId())

      await fx.s.tenants[i + 1]!.keyBag.importKey('writer-only', blob, 'export password')
      expect(await reader.getDocumentStatus(hidden.getId())).toBe('ready')
      expect((await reader.getDocument(hidden.getId()))?.toJSON()).toEqual({ title: `${MARKERS[0]}hidden` })
    }
  })

  it('an untrusted signer: held with WEFT_UNTRUSTED_SIGNER, readable after addPartner', async () => {
    const fx = await fixture()
    // An outsider that the writer trusts (and gave the key to), but that the readers do not know.
    const outsider = await fx.s.factory.createTenant({ tenantId: 'outsider', password: 'outsider password' })
    await outsider.addPartner(fx.s.tenants[0]!.publicProfile(), { dbs: ['shared'] })
    await fx.s.tenants[0]!.addPartner(outsider.publicProfile(), { dbs: ['shared', 'orders'] })
    await outsider.acceptSharedKey(fx.s.tenants[0]!.shareKey('collab', outsider.publicProfile()))
    const outsiderDb = await outsider.openDB('shared', { keyId: 'collab' })
    await outsiderDb.pullChangesFrom(fx.writer)
    const target = (await fx.writer.getAllDocumentIds()).find((id) => id !== fx.victimDoc)!
    await outsiderDb.changeDoc(target, (d) => void (d.getData().editedBy = 'outsider'))
    const [edit] = await envelopesOf(
      outsiderDb.getStore(),
      await outsiderDb.getStore().findNewChanges(await fx.writer.getStore().getAllChangeHashes()),
    )
    // And an entry signed by a key nobody knows, claiming a document of the writer.
    const stranger = new EntryFactory(1)
    const { header } = parseEntry(fx.victim.hash, fx.victim.bytes)
    const strangers = createEntry({
      kind: 'change',
      docId: header.docId,
      origin: header.origin,
      deps: [fx.victim.hash],
      keyId: header.keyId,
      keyVersion: 1,
      key: stranger.key,
      payload: new Uint8Array(8),
      author: stranger.signer,
    })
    const strangerEntry = { hash: strangers.hash, bytes: strangers.bytes.slice() }

    for (const [i, reader] of [fx.viaStore, fx.viaPull].entries()) {
      const batch = withBad(fx.good, [edit!, strangerEntry])
      let report: MaterialiseReport
      if (i === 0) {
        const result = await reader.getStore().appendMany(batch)
        expect(result.rejected).toEqual([])
        report = await reader.syncStoreChanges(result.added)
      } else {
        const pulled = await reader.pullChangesFrom(new RawRelayStore(batch))
        expect(pulled.rejected).toEqual([])
        expect(pulled.transferred).toBe(batch.length)
        report = pulled.materialised
      }
      expect(report.untrusted.map((h) => [h.hash, h.code]).sort()).toEqual(
        [
          [edit!.hash, ErrorCodes.UNTRUSTED_SIGNER],
          [strangerEntry.hash, ErrorCodes.UNTRUSTED_SIGNER],
        ].sort(),
      )
      expect(report.rejected).toEqual([])
      expect(sorted(report.applied)).toEqual(hashes(fx.good))
      await expectGoodApplied(fx, reader)
      expect((await reader.getDocument(target))?.getData().editedBy).toBeUndefined()

      await fx.s.tenants[i + 1]!.addPartner(outsider.publicProfile(), { dbs: ['shared'] })
      expect((await reader.getDocument(target))?.getData().editedBy).toBe('outsider')
      const after = await reader.syncStoreChanges([edit!.hash, strangerEntry.hash])
      expect(after.applied).toEqual([edit!.hash])
      expect(after.untrusted.map((h) => h.code)).toEqual([ErrorCodes.UNTRUSTED_SIGNER])
    }
  })

  it('an entry replayed into a database that did not link its origin: WEFT_ORIGIN_NOT_LINKED, never materialised', async () => {
    const fx = await fixture()
    const writerTenant = fx.s.tenants[0]!
    const readerTenant = fx.s.tenants[1]!
    // Good entries for the reader's `orders`: the writer's own `orders` documents (linked).
    const writerOrders = await writerTenant.openDB('orders', { keyId: 'collab' })
    const order = await writerOrders.createDocument({ data: { item: `${MARKERS[0]}order` } })
    const good = await envelopesOf(writerOrders.getStore())
    // Replays: the writer's `shared` entries (origin writer/shared) and the reader's own `shared`
    // entry (origin reader/shared), both into the reader's `orders`.
    const readerShared = fx.viaStore
    const own = await readerShared.createDocument({ data: { title: `${MARKERS[0]}own` } })
    const [ownEntry] = await envelopesOf(
      readerShared.getStore(),
      await readerShared.getStore().getAllChangeHashesForDoc(own.getId()),
    )
    const replayed = [...fx.good.slice(0, 2), ownEntry!]
    const replayedDocs = new Set(replayed.map(docIdOf))

    const readerOrders = await readerTenant.openDB('orders', { keyId: 'collab' })
    const result = await readerOrders.getStore().appendMany([...good, ...replayed])
    expect(result.rejected).toEqual([]) // a store cannot know; the database decides
    const report = await readerOrders.syncStoreChanges(result.added)
    expect(sorted(report.applied)).toEqual(hashes(good))
    expect(codesByHash(report)).toEqual(new Map(replayed.map((r) => [r.hash, ErrorCodes.ORIGIN_NOT_LINKED])))
    expect((await readerOrders.getDocument(order.getId()))?.toJSON()).toEqual({ item: `${MARKERS[0]}order` })

    // Still nothing after every retry trigger: a new key, a new partner link elsewhere, retryHeld.
    await readerTenant.keyBag.generateKey('unrelated')
    await readerTenant.addPartner(writerTenant.publicProfile(), { dbs: ['shared', 'orders'] })
    await readerOrders.retryHeld()
    for (const id of replayedDocs) {
      expect(await readerOrders.getDocument(id)).toBeUndefined()
      expect(await readerOrders.getDocumentStatus(id)).not.toBe('ready')
    }
    expect(await readerOrders.getAllDocumentIds()).toEqual([order.getId()])
    expect(codesByHash(await readerOrders.syncStoreChanges(replayed.map((r) => r.hash)))).toEqual(
      new Map(replayed.map((r) => [r.hash, ErrorCodes.ORIGIN_NOT_LINKED])),
    )
  })

  it("a different key under the reader's key name: locked (WEFT_KEY_NOT_FOUND), not corrupt", async () => {
    const fx = await fixture()
    const { tenant: other } = await loneTenant('other-org')
    // Same factory is not needed: partners only need each other's profiles.
    await other.keyBag.generateKey('collab') // a different key that happens to have the readers' key name
    for (const t of fx.s.tenants.slice(1)) {
      await t.addPartner(other.publicProfile(), { dbs: ['shared'] })
      await other.addPartner(t.publicProfile(), { dbs: ['shared'] })
    }
    const otherDb = await other.openDB('shared', { keyId: 'collab' })
    const foreign = await otherDb.createDocument({ data: { title: `${MARKERS[0]}foreign` } })
    const [entry] = await envelopesOf(otherDb.getStore())
    const blob = await other.keyBag.exportKey('collab', 'other password', TEST_KDF)

    for (const [i, reader] of [fx.viaStore, fx.viaPull].entries()) {
      const batch = withBad(fx.good, entry!)
      let report: MaterialiseReport
      if (i === 0) {
        const result = await reader.getStore().appendMany(batch)
        expect(result.rejected).toEqual([])
        report = await reader.syncStoreChanges(result.added)
      } else {
        const pulled = await reader.pullChangesFrom(new RawRelayStore(batch))
        expect(pulled.rejected).toEqual([])
        report = pulled.materialised
      }
      expect(report.locked.map((h) => [h.hash, h.code])).toEqual([[entry!.hash, ErrorCodes.KEY_NOT_FOUND]])
      expect(report.rejected).toEqual([])
      expect(sorted(report.applied)).toEqual(hashes(fx.good))
      await expectGoodApplied(fx, reader)
      expect(await reader.getDocumentStatus(foreign.getId())).toBe('locked')

      // The key arrives under a name of the reader's choosing and the document opens.
      await fx.s.tenants[i + 1]!.keyBag.importKey('other-collab', blob, 'other password')
      expect((await reader.getDocument(foreign.getId()))?.toJSON()).toEqual({ title: `${MARKERS[0]}foreign` })
    }
  })
})

describe('duplicates', () => {
  it('duplicate delivery is idempotent: reported existing, not re-applied, documents unchanged', async () => {
    const fx = await fixture()
    const all = [...fx.good, fx.victim]
    for (const reader of [fx.viaStore, fx.viaPull]) {
      const first = await reader.getStore().appendMany([...all, ...all.slice(0, 3)])
      expect(sorted(first.added)).toEqual(hashes(all))
      expect(sorted(first.existing)).toEqual(hashes(all.slice(0, 3)))
      expectNothingHeld(await reader.syncStoreChanges(first.added))
      await settle(reader)
      const before = await Promise.all(
        (await reader.listDocuments()).map(async (d) => [
          d.id,
          d.status,
          (await reader.getDocument(d.id))?.toJSON(),
          (await reader.getDocument(d.id))?.getHeads(),
        ]),
      )

      const events: unknown[] = []
      const off = reader.on('docs-changed', (e) => events.push(e))
      const again = await reader.getStore().appendMany([...all].reverse())
      expect(again.added).toEqual([])
      expect(again.rejected).toEqual([])
      expect(sorted(again.existing)).toEqual(hashes(all))
      const report = await reader.syncStoreChanges(again.existing)
      expectNothingHeld(report)
      const pulled = await reader.pullChangesFrom(new RawRelayStore(all))
      expect([pulled.transferred, pulled.rejected.length]).toEqual([0, 0])
      const pushed = await fx.writer.pushChangesTo(reader)
      expect(pushed.transferred).toBe(0)
      await settle(reader)
      off()

      expect(events, 'no document changed').toEqual([])
      const after = await Promise.all(
        (await reader.listDocuments()).map(async (d) => [
          d.id,
          d.status,
          (await reader.getDocument(d.id))?.toJSON(),
          (await reader.getDocument(d.id))?.getHeads(),
        ]),
      )
      expect(after).toEqual(before)
      expect(await reader.getStore().head()).toMatchObject({ count: all.length, seq: all.length })
    }
  })
})

describe('bit flips and plaintext', () => {
  it('any single flipped bit is refused: by hash under the original hash, by signature or parse when rehashed', async () => {
    const fx = await fixture()
    const entries = [...fx.good, fx.victim]
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: entries.length - 1 }),
        fc.nat(),
        fc.nat({ max: 7 }),
        fc.boolean(),
        fc.nat({ max: entries.length - 1 }),
        async (which, offsetSeed, bit, keepHash, at) => {
          const target = entries[which]!
          const offset = offsetSeed % target.bytes.length
          const flipped = flipBit(target.bytes, offset, bit)
          const bad = keepHash ? underHash(target.hash, flipped) : rehashed(flipped)
          const rest = entries.filter((e) => e !== target)
          const store = new MemoryChangeStore()
          const result = await store.appendMany(withBad(rest, bad, Math.min(at, rest.length)))
          expect(result.rejected).toHaveLength(1)
          expect(result.rejected[0]!.hash).toBe(bad.hash)
          expect(result.rejected[0]!.error.code).toBe(
            expectedFlipCode(entryLayout(target.bytes), offset, keepHash, result.rejected[0]!.error.code),
          )
          expect(sorted(result.added)).toEqual(hashes(rest))
        },
      ),
      { numRuns: 200, seed: SEED },
    )
  })

  it('every single bit flip of an entry, rehashed, is refused (exhaustive)', async () => {
    const fx = await fixture()
    const layout = layoutOf(fx.victim)
    const flips: { bad: EntryEnvelope; offset: number }[] = []
    for (let offset = 0; offset < fx.victim.bytes.length; offset++) {
      for (let bit = 0; bit < 8; bit++) flips.push({ bad: rehashed(flipBit(fx.victim.bytes, offset, bit)), offset })
    }
    const store = new MemoryChangeStore()
    const result = await store.appendMany(
      withBad(
        fx.good,
        flips.map((f) => f.bad),
      ),
    )
    expect(sorted(result.added)).toEqual(hashes(fx.good))
    expect(result.rejected).toHaveLength(flips.length)
    const byHash = new Map(result.rejected.map((r) => [r.hash, r.error.code]))
    const wrong = flips.filter(
      (f) => byHash.get(f.bad.hash) !== expectedFlipCode(layout, f.offset, false, byHash.get(f.bad.hash)),
    )
    expect(wrong.map((f) => `${fieldAt(layout, f.offset)}@${f.offset}: ${byHash.get(f.bad.hash)}`)).toEqual([])
  })

  it('no entry carries the plaintext written into documents', async () => {
    const fx = await fixture()
    await fx.viaStore.pullChangesFrom(fx.writer)
    const markers = MARKERS.map((m) => new TextEncoder().encode(m))
    for (const db of [fx.writer, fx.viaStore]) {
      const entries = await envelopesOf(db.getStore())
      expect(new Set(entries.map((e) => (e.bytes[3] === 4 ? 'snapshot' : 'other')))).toContain('snapshot')
      for (const e of entries) {
        for (const [i, m] of markers.entries())
          expect(containsBytes(e.bytes, m), `${MARKERS[i]} in entry ${e.hash}`).toBe(false)
      }
    }
    // The readers did read it: the markers are in the documents, only not in the bytes.
    expect(JSON.stringify((await fx.viaStore.getDocument(fx.victimDoc))?.toJSON())).toContain(MARKERS[0])
  })
})

describe('stored bytes belong to the store', () => {
  it('a consumer mutating bytes it read cannot alter or lose the stored entry', async () => {
    const fx = await fixture()
    const store = fx.viaStore.getStore()
    await store.appendMany(fx.good)
    const [read] = await store.getChanges([fx.good[0]!.hash])
    read!.bytes[10] = read!.bytes[10]! ^ 0xff
    const [again] = await store.getChanges([fx.good[0]!.hash])
    expect(again, 'the entry is still served').toBeDefined()
    expect(hashEntryBytes(again!.bytes)).toBe(fx.good[0]!.hash)
    expect(await new MemoryChangeStore().appendMany([again!])).toMatchObject({ rejected: [] })
  })
})

// ---------------------------------------------------------------------------------------------

/**
 * The code a flipped bit must be refused with. Under the original hash it is always the hash.
 * Rehashed: a flip inside a fixed-size field (id, author, nonce, ciphertext, signature) still
 * parses, so the signature catches it; the version byte names an unsupported version; a flip in a
 * length, count, varint, string or the kind may instead make the bytes unparseable (or claim a
 * size over a limit), and then whichever check meets it first answers.
 */
function expectedFlipCode(
  layout: EntryLayout,
  offset: number,
  keepHash: boolean,
  actual: string | undefined,
): ErrorCode {
  if (keepHash) return ErrorCodes.HASH_MISMATCH
  const field = fieldAt(layout, offset)
  if (field === 'version') return ErrorCodes.UNSUPPORTED_VERSION
  if (field === 'magic') return ErrorCodes.MALFORMED_ENTRY
  if (['docId', 'author', 'nonce', 'ciphertext', 'signature'].includes(field)) return ErrorCodes.BAD_SIGNATURE
  const either: ErrorCode[] = [ErrorCodes.BAD_SIGNATURE, ErrorCodes.MALFORMED_ENTRY, ErrorCodes.ENTRY_TOO_LARGE]
  return either.includes(actual as ErrorCode) ? (actual as ErrorCode) : ErrorCodes.BAD_SIGNATURE
}

/** Document id of an entry. */
function docIdOf(e: EntryEnvelope): DocId {
  return parseEntry(e.hash, e.bytes).header.docId
}

/** The code each not-applied entry of a report carries (held or refused). */
function codesByHash(report: MaterialiseReport): Map<ChangeHash, string> {
  return new Map([
    ...report.untrusted.map((h) => [h.hash, h.code] as const),
    ...report.locked.map((h) => [h.hash, h.code] as const),
    ...report.rejected.map((r) => [r.hash, r.error.code] as const),
  ])
}
