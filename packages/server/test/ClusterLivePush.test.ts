import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LocalClusterHub, MemoryChangeStore, ready, type ClusterMessage } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { ClusterLivePush } from '../src/cluster/ClusterLivePush.ts'
import { createStoredNotice, parseStoredNotice, type StoredNotice } from '../src/cluster/storedNotice.ts'

/** What a push's targets were asked to wake, in order. */
function recorder() {
  const woken: (string | [string, string, string, number])[] = []
  return {
    woken,
    targets: {
      wake: (tenant: string, db: string, upTo: { epoch: string; seq: number }) =>
        woken.push([tenant, db, upTo.epoch, upTo.seq]),
      wakeAll: () => woken.push('all'),
    },
  }
}

const turn = () => new Promise((r) => setImmediate(r))
const log = () => {}

const notice: fc.Arbitrary<StoredNotice> = fc
  .record({
    tenant: fc.string({ minLength: 1, maxLength: 40 }),
    db: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    epoch: fc.string({ maxLength: 30 }),
    from: fc.nat({ max: 1_000_000 }),
    span: fc.nat({ max: 1_000 }),
  })
  .map(({ span, ...n }) => ({ ...n, to: n.from + span }))

describe('stored notices', () => {
  it('parse back to what was created, and go through the bus encoding', () => {
    fc.assert(
      fc.property(notice, (n) => {
        expect(parseStoredNotice(createStoredNotice(n))).toEqual(n)
      }),
    )
  })

  it('are dropped when malformed: another topic, a bad database name, a range that runs backwards, a fraction', () => {
    const good = createStoredNotice({ tenant: 't', db: 'orders', epoch: 'e', from: 1, to: 2 })
    const bad: ClusterMessage[] = [
      { ...good, topic: 'members' },
      { ...good, data: { ...good.data, db: 'a/b' } },
      { ...good, data: { ...good.data, from: 3, to: 2 } },
      { ...good, data: { ...good.data, to: 2.5 } },
      { ...good, data: { ...good.data, to: '2' } },
      { ...good, data: { ...good.data, epoch: 'x'.repeat(200) } },
      { ...good, tenant: '' },
    ]
    for (const m of bad) expect(parseStoredNotice(m)).toBeUndefined()
  })
})

/** A push on a bus, what another process on it hears, and a store holding one entry. */
async function sending() {
  await ready()
  const hub = new LocalClusterHub()
  const sender = new ClusterLivePush(hub.bus(), recorder().targets, { owned: true, log })
  const heard: ClusterMessage[] = []
  hub.bus().subscribe((m) => heard.push(m))
  const store = new MemoryChangeStore()
  const f = new EntryFactory(2)
  await store.appendMany([f.entry(0)])
  return { sender, heard, store, f }
}

describe('ClusterLivePush', () => {
  it('sends one notice per append batch, naming the arrival range and never the entries', async () => {
    const { sender, heard, store, f } = await sending()
    const r = await store.appendMany(f.entries(10))
    sender.stored('acme', 'orders', r.added.length, store)
    await sender.close() // waits for what is being sent
    await turn()
    expect(heard).toEqual([
      createStoredNotice({ tenant: 'acme', db: 'orders', epoch: (await store.head()).epoch, from: 2, to: 11 }),
    ])
  })

  it("takes the arrival range from the append's own result, without reading the store's head", async () => {
    const { sender, heard, store, f } = await sending()
    const r = await store.appendMany(f.entries(4))
    expect(r.arrived).toEqual({ epoch: (await store.head()).epoch, seq: 5 })
    // Another append lands before the notice goes: the notice still names this append's range.
    await store.appendMany(f.entries(2))
    expect((await store.head()).seq).toBe(7)
    let heads = 0
    const counted = Object.assign(Object.create(store) as MemoryChangeStore, {
      head: () => (heads++, store.head()),
    })
    sender.stored('acme', 'orders', r.added.length, counted, r.arrived)
    await sender.close()
    await turn()
    expect(heads).toBe(0)
    expect(heard).toEqual([
      createStoredNotice({ tenant: 'acme', db: 'orders', epoch: r.arrived!.epoch, from: 2, to: 5 }),
    ])
  })

  it('coalesces a burst per (tenant, database) into one wake with the highest arrival number', async () => {
    const hub = new LocalClusterHub()
    const out = hub.bus()
    const { woken, targets } = recorder()
    const push = new ClusterLivePush(hub.bus(), targets, { owned: true, log })
    for (let to = 1; to <= 100; to++)
      await out.publish(createStoredNotice({ tenant: 'a', db: 'x', epoch: 'e', from: to, to }))
    await out.publish(createStoredNotice({ tenant: 'a', db: 'y', epoch: 'e', from: 1, to: 7 }))
    await out.publish(createStoredNotice({ tenant: 'b', db: 'x', epoch: 'e', from: 1, to: 3 }))
    await out.publish({ topic: 'stored', tenant: 'a', data: { db: '../x' } }) // malformed: dropped
    await turn()
    await turn()
    expect(woken).toEqual([
      ['a', 'x', 'e', 100],
      ['a', 'y', 'e', 7],
      ['b', 'x', 'e', 3],
    ])
    await push.close()
  })

  it('wakes every subscription after a gap, and when a burst names more pairs than it keeps', async () => {
    let gap = () => {}
    const hub = new LocalClusterHub()
    const inner = hub.bus()
    const bus = { ...inner, onGap: (h: () => void) => ((gap = h), () => {}) }
    bus.subscribe = inner.subscribe.bind(inner)
    bus.ready = inner.ready.bind(inner)
    bus.close = inner.close.bind(inner)
    const { woken, targets } = recorder()
    const push = new ClusterLivePush(bus, targets, { owned: true, log })
    gap()
    await turn()
    expect(woken).toEqual(['all'])
    const out = hub.bus()
    for (let i = 0; i <= 10_000; i++)
      await out.publish(createStoredNotice({ tenant: `t${i}`, db: 'x', epoch: 'e', from: 1, to: 1 }))
    await turn()
    await turn()
    expect(woken).toEqual(['all', 'all'])
    await push.close()
  })
})
