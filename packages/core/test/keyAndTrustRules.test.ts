import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  incrementalSync,
  isWeftError,
  ready,
  TenantFactory,
  TEST_KDF,
  type ChangeHash,
} from '../src/index.ts'
import { MemoryChangeStore } from '../src/backend.ts'
import { partners } from './helpers/partners.ts'

beforeAll(ready)

describe('keys are found by commitment, names are local', () => {
  it('a partner edits our document under its own name for our key, and we read the edit', async () => {
    const f = new TenantFactory({ kdf: TEST_KDF })
    const a = await f.createTenant({ tenantId: 'a', password: 'p' })
    const b = await f.createTenant({ tenantId: 'b', password: 'p' })
    await a.addPartner(b.publicProfile(), { dbs: ['orders'] })
    await b.addPartner(a.publicProfile(), { dbs: ['orders'] })
    // b already has a key called `default`: a's default must go under another name
    await expect(b.acceptSharedKey(a.shareKey('default', b.publicProfile()))).rejects.toSatisfy((e) =>
      isWeftError(e, ErrorCodes.INVALID_ARGUMENT),
    )
    expect(await b.acceptSharedKey(a.shareKey('default', b.publicProfile()), { as: 'a-default' })).toBe('a-default')
    const dbA = await a.openDB('orders')
    const dbB = await b.openDB('orders')
    const doc = await dbA.createDocument({ data: { status: 'new' } })
    await dbB.pullChangesFrom(dbA)
    expect((await dbB.getDocument(doc.getId()))?.keyId).toBe('a-default')
    await dbB.changeDoc(doc.getId(), (d) => void (d.getData().status = 'confirmed'))
    const back = await dbA.pullChangesFrom(dbB)
    expect(back.materialised.applied).toHaveLength(1)
    expect(doc.getData().status).toBe('confirmed')
  })

  it('a partner cannot add a version to a key name we hold for a different key', async () => {
    const f = new TenantFactory({ kdf: TEST_KDF })
    const a = await f.createTenant({ tenantId: 'a', password: 'p' })
    const m = await f.createTenant({ tenantId: 'mallory', password: 'p' })
    await a.addPartner(m.publicProfile(), { dbs: ['other'] })
    await m.keyBag.rotateKey('default') // versions 1 and 2 of mallory's own default
    const ours = a.keyBag.current('default')
    await expect(a.acceptSharedKey(m.shareKey('default', a.publicProfile()))).rejects.toSatisfy((e) =>
      isWeftError(e, ErrorCodes.INVALID_ARGUMENT),
    )
    expect(a.keyBag.current('default')).toEqual(ours)
    // the same key coming back with a newer version is accepted
    const b = await f.createTenant({ tenantId: 'b', password: 'p' })
    await b.addPartner(a.publicProfile(), { dbs: [] })
    await a.keyBag.generateKey('shared')
    await b.acceptSharedKey(a.shareKey('shared', b.publicProfile()))
    await a.keyBag.rotateKey('shared')
    await b.acceptSharedKey(a.shareKey('shared', b.publicProfile()))
    expect(b.keyBag.current('shared')).toEqual(a.keyBag.current('shared'))
  })
})

describe('gaps, corrupted reads, aborts and names', () => {
  it('reports entries a document follows but that never arrived', async () => {
    const {
      dbs: [a, b],
    } = await partners(['a', 'b'])
    const doc = await a!.createDocument({ data: { n: 0 } })
    await a!.changeDoc(doc, (d) => void (d.getData().n = 1))
    await a!.changeDoc(doc, (d) => void (d.getData().n = 2))
    const [create, middle, last] = await a!.getStore().getAllChangeHashesForDoc(doc.getId())
    await b!.getStore().appendMany(await a!.getStore().getChanges([create!, last!]))
    await b!.syncStoreChanges([create!, last!])
    expect(b!.getMissingEntries()).toEqual([middle])
    await b!.pullChangesFrom(a!)
    expect(b!.getMissingEntries()).toEqual([])
    expect((await b!.getDocument(doc.getId()))?.getData().n).toBe(2)
  })

  it('leaves out bytes a backend returns corrupted, as if not held', async () => {
    class Flaky extends MemoryChangeStore {
      corrupt = false
      protected override async _get(hashes: readonly ChangeHash[]) {
        const got = await super._get(hashes)
        return this.corrupt ? got.map((b) => b && Uint8Array.from(b, (x, i) => (i === 10 ? x ^ 1 : x))) : got
      }
    }
    const {
      dbs: [a],
    } = await partners(['a', 'b'])
    await a!.createDocument({ data: { x: 1 } })
    const store = new Flaky()
    await a!.pushChangesTo(store)
    const [hash] = await store.getAllChangeHashes()
    expect(await store.getChanges([hash!])).toHaveLength(1)
    store.corrupt = true
    expect(await store.getChanges([hash!])).toEqual([])
  })

  it('aborts a sync with WEFT_ABORTED', async () => {
    const {
      dbs: [a, b],
    } = await partners(['a', 'b'])
    await a!.createDocument()
    const ac = new AbortController()
    ac.abort()
    await expect(incrementalSync(a!, b!, undefined, { signal: ac.signal })).rejects.toSatisfy((e) =>
      isWeftError(e, ErrorCodes.ABORTED),
    )
  })

  it('checks database names in bytes', async () => {
    const t = await new TenantFactory({ kdf: TEST_KDF }).createTenant({ tenantId: 't', password: 'p' })
    await expect(t.openDB('é'.repeat(100))).rejects.toSatisfy((e) => isWeftError(e, ErrorCodes.INVALID_ARGUMENT))
    expect((await t.openDB('é'.repeat(64))).name).toBe('é'.repeat(64))
  })
})
