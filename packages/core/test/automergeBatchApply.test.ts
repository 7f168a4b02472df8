import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ready } from '../src/index.ts'
import { loadChanges, planApply, wholeLoad } from '../src/db/planApply.ts'
import type { ChangeHeader } from '../src/db/changeHeader.ts'
import {
  anyOrder,
  batchesOf,
  causalOrder,
  deliveryArb,
  historyOf,
  plain,
  replayed,
  type Delivery,
} from './helpers/automergeHistories.ts'

beforeAll(ready)

// Automerge 3.5.0 can leave a document's JavaScript view behind its history when one
// `applyChanges` call holds concurrent changes: the view keeps a value that a concurrent delete
// removed, while a concurrent value with a lower op id is what survives. Weft hands changes to
// Automerge through `planApply`, which never puts two concurrent changes in one call on a document
// that has any. These tests pin the upstream fault (so the day it is fixed, we know) and check that
// the plan keeps the view equal to a replay of the history, whatever the batching.

const RUNS = Number(process.env.WEFT_PROPERTY_RUNS ?? 60)

type Data = Record<string, unknown>

/** Actor X makes a list and sets `b = 0`; concurrently Y sets `b = 1` and X deletes `b`. */
function reduction() {
  let x = A.init<Data>({ actor: 'aaaa' })
  x = A.change(x, (d) => void (d.list = []))
  x = A.change(x, (d) => void (d.b = 0))
  const base = A.getAllChanges(x)
  let y = A.init<Data>({ actor: 'bbbb' })
  y = A.change(y, (d) => void (d.b = 1)) // op 1@bbbb: lower than X's 2@aaaa, so it lost to it
  x = A.change(x, (d) => void delete d.b)
  return { base, batch: [A.getLastLocalChange(y)!, A.getLastLocalChange(x)!] }
}

/** The view after delivering `d`'s history batch by batch, applying each batch as `apply` says. */
function deliver(
  d: Delivery,
  apply: (doc: A.Doc<Data>, batch: Uint8Array[]) => A.Doc<Data>,
  order: 'causal' | 'any' = 'causal',
): string[] {
  const problems: string[] = []
  const history = historyOf(d.actors, d.steps)
  let doc = A.init<Data>()
  for (const batch of batchesOf((order === 'causal' ? causalOrder : anyOrder)(history, d.picks), d.cuts)) {
    doc = apply(doc, batch)
    const view = JSON.stringify(plain(doc))
    const replay = JSON.stringify(replayed(doc))
    if (view !== replay) problems.push(`view ${view} but history ${replay}`)
  }
  if (A.getAllChanges(doc).length !== history.length) problems.push('not every change was applied')
  A.free(doc)
  return problems
}

const oneCall = (doc: A.Doc<Data>, batch: Uint8Array[]) => A.applyChanges(doc, batch)[0]

/** Applies a batch as Weft does: by the calls of a plan, holding back what it holds back. */
function planned(): (doc: A.Doc<Data>, batch: Uint8Array[]) => A.Doc<Data> {
  let waiting: ChangeHeader[] = []
  return (doc, batch) => {
    const plan = planApply(waiting, batch, doc)
    const whole = wholeLoad(plan, doc)
    if (whole) doc = A.load<Data>(whole)
    else for (const call of plan.calls) doc = A.applyChanges(doc, call)[0]
    waiting = plan.waiting
    return doc
  }
}

// Found by the property below with one call per batch (fast-check seeds 1, 2, 3, 4, 6; shrunk),
// plus the reduction: each ends a batch before a concurrent delete and a lower-id set of one key.
const COUNTEREXAMPLES: Delivery[] = [
  {
    actors: 2,
    steps: [
      { k: 'ins', a: 1, at: 0, v: 1 },
      { k: 'set', a: 1, nested: false, key: 'b', v: 0, obj: false },
      { k: 'set', a: 0, nested: false, key: 'b', v: 1, obj: false },
      { k: 'del', a: 1, nested: false, key: 'b' },
    ],
    picks: [0, 1, 1, 0, 0],
    cuts: [false, false, true],
  },
  {
    actors: 3,
    steps: [
      { k: 'set', a: 0, nested: true, key: 'b', v: 0, obj: false },
      { k: 'text', a: 1, at: 0, del: 0, s: 'x' },
      { k: 'set', a: 1, nested: false, key: 'b', v: 0, obj: false },
      { k: 'set', a: 2, nested: true, key: 'b', v: 1, obj: false },
      { k: 'del', a: 2, nested: true, key: 'b' },
    ],
    picks: [2, 4],
    cuts: [false, false, true],
  },
  {
    actors: 3,
    steps: [
      { k: 'set', a: 2, nested: true, key: 'b', v: 0, obj: false },
      { k: 'set', a: 0, nested: true, key: 'b', v: 1, obj: false },
      { k: 'set', a: 1, nested: false, key: 'b', v: 0, obj: false },
      { k: 'del', a: 2, nested: true, key: 'b' },
    ],
    picks: [1],
    cuts: [false, false, true],
  },
  {
    actors: 3,
    steps: [
      { k: 'ins', a: 1, at: 0, v: 0 },
      { k: 'set', a: 0, nested: false, key: 'b', v: 0, obj: true },
      { k: 'set', a: 1, nested: true, key: 'b', v: 0, obj: false },
      { k: 'set', a: 0, nested: true, key: 'b', v: 1, obj: false },
      { k: 'del', a: 0, nested: true, key: 'b' },
    ],
    picks: [3, 0],
    cuts: [false, false, false, true],
  },
  {
    actors: 3,
    steps: [
      { k: 'set', a: 2, nested: false, key: 'c', v: 0, obj: false },
      { k: 'set', a: 0, nested: false, key: 'c', v: 1, obj: false },
      { k: 'del', a: 2, nested: false, key: 'c' },
    ],
    picks: [1],
    cuts: [false, true],
  },
  {
    actors: 2,
    steps: [
      { k: 'set', a: 0, nested: true, key: 'b', v: 0, obj: false },
      { k: 'set', a: 1, nested: true, key: 'b', v: 0, obj: true },
      { k: 'del', a: 1, nested: true, key: 'b' },
    ],
    picks: [3],
    cuts: [false, true],
  },
]

describe('Automerge batched applyChanges (upstream fault, Automerge 3.5.0)', () => {
  it('still shows a deleted value after one call of two concurrent changes (if this fails, Automerge fixed it: revisit planApply)', () => {
    const { base, batch } = reduction()
    const [doc] = A.applyChanges(A.applyChanges(A.init<Data>(), base)[0], batch)
    expect(A.toJS(doc)).toEqual({ list: [], b: 1 }) // the history: Y's value survives X's delete
    const stale = JSON.stringify(plain(doc)) === JSON.stringify(plain({ list: [], b: 0 }))
    expect(stale, 'Automerge now applies this batch right: planApply may apply concurrent changes together again').toBe(
      true,
    )
  })

  it('applies the same two changes right one call at a time, or into an empty document', () => {
    const { base, batch } = reduction()
    let doc = A.applyChanges(A.init<Data>(), base)[0]
    for (const c of batch) doc = A.applyChanges(doc, [c])[0]
    expect(plain(doc)).toEqual({ list: [], b: 1 })
    expect(plain(A.applyChanges(A.init<Data>(), [...base, ...batch])[0])).toEqual({ list: [], b: 1 })
  })

  it('one call per batch goes wrong on every kept counterexample', () => {
    for (const d of COUNTEREXAMPLES) expect(deliver(d, oneCall)).not.toEqual([])
  })

  it('the view equals the replayed history after every batch applied by plan, however batched and ordered', () => {
    fc.assert(
      fc.property(deliveryArb, (d) => {
        expect(deliver(d, planned())).toEqual([])
        expect(deliver(d, planned(), 'any')).toEqual([])
      }),
      { numRuns: RUNS, examples: COUNTEREXAMPLES.map((d) => [d]) },
    )
  })

  it('a plan makes one call of one author’s successive changes and of anything into an empty document', () => {
    let x = A.init<Data>({ actor: 'aaaa' })
    for (let i = 0; i < 5; i++) x = A.change(x, (d) => void (d.n = i))
    const all = A.getAllChanges(x)
    const base = A.applyChanges(A.init<Data>(), all.slice(0, 1))[0]
    expect(planApply([], all.slice(1), base).calls).toHaveLength(1)
    const { base: b, batch } = reduction()
    expect(planApply([], [...b, ...batch], A.init<Data>()).calls).toHaveLength(1)
    expect(planApply([], batch, A.applyChanges(A.init<Data>(), b)[0]).calls).toHaveLength(2)
  })

  it('holds back a change whose dependency is missing, and applies it once that arrives', () => {
    let x = A.init<Data>({ actor: 'aaaa' })
    for (let i = 0; i < 3; i++) x = A.change(x, (d) => void (d.n = i))
    const [c1, c2, c3] = A.getAllChanges(x)
    let doc = A.applyChanges(A.init<Data>(), [c1!])[0]
    const first = planApply([], [c3!], doc)
    expect(first.calls).toEqual([])
    expect(first.waiting.map((w) => w.bytes)).toEqual([c3])
    const second = planApply(first.waiting, [c2!], doc)
    expect(second.waiting).toEqual([])
    for (const call of second.calls) doc = A.applyChanges(doc, call)[0]
    expect(plain(doc)).toEqual({ n: 2 })
  })

  it('puts bytes that are not a change in a first call of their own, which Automerge refuses', () => {
    const junk = new Uint8Array([0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1, 200])
    const doc = A.init<Data>()
    const plan = planApply([], [junk], doc)
    expect(plan.calls).toEqual([[junk]])
    expect(() => A.applyChanges(doc, plan.calls[0]!)).toThrow()
  })

  it('loads an empty document in one go only from exact change chunks it holds back nothing of', () => {
    let x = A.init<Data>({ actor: 'aaaa' })
    for (let i = 0; i < 4; i++) x = A.change(x, (d) => void (d.n = i))
    const all = A.getAllChanges(x)
    const empty = A.init<Data>()
    const whole = wholeLoad(planApply([], [...all].reverse(), empty), empty)
    expect(whole).toBeDefined()
    expect(plain(A.load<Data>(whole!))).toEqual({ n: 3 })
    // Not into a document that has changes, nor with a change held back, nor with bytes that are not a change.
    const some = A.applyChanges(A.init<Data>(), all.slice(0, 1))[0]
    expect(wholeLoad(planApply([], all.slice(1), some), some)).toBeUndefined()
    expect(wholeLoad(planApply([], all.slice(2), empty), empty)).toBeUndefined()
    const save = A.save(x) // a whole document passed off as a change: `load` would take it
    expect(wholeLoad(planApply([], [...all, save], empty), empty)).toBeUndefined()
    const trailing = new Uint8Array([...all[0]!, ...save]) // a change with a document after it
    expect(wholeLoad(planApply([], [trailing, ...all.slice(1)], empty), empty)).toBeUndefined()
  })

  it('makes a new document in one load of its changes in any order, and nothing when a dependency is missing', () => {
    let x = A.init<Data>({ actor: 'aaaa' })
    for (let i = 0; i < 4; i++) x = A.change(x, (d) => void (d.n = i))
    let y = A.clone(x, { actor: 'bbbb' })
    y = A.change(y, (d) => void (d.m = 1))
    x = A.change(x, (d) => void (d.n = 9))
    const all = [...A.getAllChanges(A.merge(A.clone(x), y))]
    for (const order of [all, [...all].reverse()]) {
      const loaded = loadChanges<Data>(order)
      expect(loaded && plain(loaded)).toEqual(plain(A.merge(A.clone(x), y)))
    }
    expect(loadChanges<Data>(all.slice(1))).toBeUndefined() // the first change is missing
    expect(loadChanges<Data>([])).toBeUndefined()
    const save = A.save(x) // a whole document passed off as a change: `load` would take it
    expect(loadChanges<Data>([save])).toBeUndefined()
    expect(loadChanges<Data>([new Uint8Array([...all[0]!, ...save]), ...all.slice(1)])).toBeUndefined()
  })

  it('gives every document it loads an actor of its own, which its next local change carries', () => {
    let x = A.init<Data>({ actor: 'aaaa' })
    x = A.change(x, (d) => void (d.n = 1))
    const changes = A.getAllChanges(x)
    const actors = Array.from({ length: 200 }, () => {
      const loaded = A.change(loadChanges<Data>(changes)!, (d) => void (d.n = 2))
      const actor = A.getActorId(loaded)
      expect(A.decodeChange(A.getLastLocalChange(loaded)!).actor).toBe(actor)
      A.free(loaded)
      return actor
    })
    expect(actors.every((a) => /^[0-9a-f]{32}$/.test(a))).toBe(true)
    expect(new Set([...actors, 'aaaa']).size).toBe(201)
  })
})
