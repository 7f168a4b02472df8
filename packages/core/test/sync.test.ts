import { beforeAll, describe, expect, it } from 'vitest'
import { incrementalSync, ready, syncFiltered, syncStores, whereField, type SyncState } from '../src/index.ts'
import { MemoryChangeStore, reconcileInProcess } from '../src/backend.ts'
import { partners } from './helpers/partners.ts'

beforeAll(ready)

describe('incrementalSync', () => {
  it('sends only what is new, resumes from a JSON state, and starts over on a new epoch', async () => {
    const {
      dbs: [a, b],
    } = await partners(['a', 'b'])
    for (let i = 0; i < 5; i++) await a!.createDocument({ data: { i } })
    let state: SyncState = await incrementalSync(a!, b!, undefined, { pageSize: 2 })
    expect(state.lastSent).toBe(5)
    expect(await b!.getAllDocumentIds()).toHaveLength(5)
    state = JSON.parse(JSON.stringify(state))
    const doc = await a!.createDocument({ data: { i: 5 } })
    await a!.changeDoc(doc, (d) => void (d.getData().i = 6))
    state = await incrementalSync(a!, b!, state)
    expect([state.lastSent, state.totalSent]).toEqual([2, 7])
    state = await incrementalSync(a!, b!, state)
    expect(state.lastSent).toBe(0)
    // A cursor from another store epoch starts over; the target dedupes, so nothing is re-sent.
    state = await incrementalSync(a!, b!, { ...state, cursor: { epoch: 'other', seq: 999 } })
    expect(state.lastSent).toBe(0)
    expect(state.cursor?.seq).toBe(7)
  })

  it('delivers to a bare store (a relay) without materialising', async () => {
    const {
      dbs: [a],
    } = await partners(['a', 'b'])
    await a!.createDocument({ data: { x: 1 } })
    const relay = new MemoryChangeStore()
    const state = await incrementalSync(a!, relay)
    expect(state.lastSent).toBe(1)
    expect(await relay.getAllChangeHashes()).toEqual(await a!.getStore().getAllChangeHashes())
    expect((await syncStores(relay, new MemoryChangeStore())).added).toHaveLength(1)
  })
})

describe('syncFiltered', () => {
  it('checkpoints past non-matching documents and sends a document whole once it matches', async () => {
    const {
      dbs: [a, b],
    } = await partners(['a', 'b'])
    const hidden = await a!.createDocument({ data: { visibility: 'private', title: 'draft' } })
    await a!.changeDoc(hidden, (d) => void (d.getData().title = 'draft 2'))
    await a!.createDocument({ data: { visibility: 'public', title: 'hello' } })
    let state = await syncFiltered(a!, b!, whereField('visibility', 'public'))
    expect(state.lastSent).toBe(1)
    expect(state.cursor?.seq).toBe(3)
    expect(await b!.getStore().getAllChangeHashesForDoc(hidden.getId())).toEqual([])
    await a!.changeDoc(hidden, (d) => void (d.getData().visibility = 'public'))
    state = await syncFiltered(a!, b!, whereField('visibility', 'public'), state)
    expect(state.lastSent).toBe(3)
    expect((await b!.getDocument(hidden.getId()))?.toJSON()).toEqual({ visibility: 'public', title: 'draft 2' })
  })
})

describe('saved sync states', () => {
  it('persist per relationship in the tenant storage and resume without re-sending', async () => {
    const {
      factory,
      dbs: [a, b],
    } = await partners(['a', 'b'])
    await a!.createDocument({ data: { n: 1 } })
    const tenant = await factory.openTenant('a', { password: 'pw-a' })
    const states = await tenant.syncStates()
    const key = 'shared->b'
    expect(await states.get(key)).toBeUndefined()
    await states.put(key, await incrementalSync(a!, b!, await states.get(key)))
    const reopened = await (await factory.openTenant('a', { password: 'pw-a' })).syncStates()
    expect(await reopened.keys()).toEqual([key])
    const next = await incrementalSync(a!, b!, await reopened.get(key))
    expect(next.lastSent).toBe(0)
    expect(next.totalSent).toBe(1)
  })
})

describe('copies to and from far-away stores', () => {
  /** A store that will not list all its hashes, but reconciles (as a remote store does). */
  class FarStore extends MemoryChangeStore {
    override async getAllChangeHashes(): Promise<never> {
      throw new Error('full hash list requested')
    }
    reconcileWith(local: Parameters<typeof reconcileInProcess>[0]) {
      return reconcileInProcess(local, this)
    }
  }

  it('find the difference by reconciliation in both directions', async () => {
    const {
      dbs: [a, b],
    } = await partners(['a', 'b'])
    for (let i = 0; i < 20; i++) await a!.createDocument({ data: { i } })
    const far = new FarStore()
    const pushed = await a!.pushChangesTo(far)
    expect(pushed.transferred).toBe(20)
    expect((await a!.pushChangesTo(far)).transferred).toBe(0)
    await a!.createDocument({ data: { i: 20 } })
    expect((await a!.pushChangesTo(far)).transferred).toBe(1)
    const pulled = await b!.pullChangesFrom(far)
    expect(pulled.transferred).toBe(21)
    expect(await b!.getAllDocumentIds()).toHaveLength(21)
  })
})
