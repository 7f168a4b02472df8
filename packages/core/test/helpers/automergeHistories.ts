import * as A from '@automerge/automerge'
import fc from 'fast-check'

// Random small histories of two or three Automerge actors (map keys set and deleted, nested maps
// and objects, list inserts and deletes, text splices, merges between actors), and random ways to
// deliver their changes: a causal order and a cut of it into batches.

/** One step of a history: an actor edits its own copy, or takes everything another actor has. */
export type Step =
  | {
      readonly k: 'set'
      readonly a: number
      readonly nested: boolean
      readonly key: string
      readonly v: number
      readonly obj: boolean
    }
  | { readonly k: 'del'; readonly a: number; readonly nested: boolean; readonly key: string }
  | { readonly k: 'ins'; readonly a: number; readonly at: number; readonly v: number }
  | { readonly k: 'ldel'; readonly a: number; readonly at: number }
  | { readonly k: 'text'; readonly a: number; readonly at: number; readonly del: number; readonly s: string }
  | { readonly k: 'sync'; readonly a: number; readonly b: number }

export const ACTORS = ['aa', 'bb', 'cc'] as const

/** Steps of `actors` actors; edits are weighted towards few keys, where concurrent writes meet. */
export function stepArb(actors: number): fc.Arbitrary<Step> {
  const a = fc.nat(actors - 1)
  const key = fc.constantFrom('b', 'c')
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        k: fc.constant('set' as const),
        a,
        nested: fc.boolean(),
        key,
        v: fc.nat(9),
        obj: fc.boolean(),
      }),
    },
    { weight: 3, arbitrary: fc.record({ k: fc.constant('del' as const), a, nested: fc.boolean(), key }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('ins' as const), a, at: fc.nat(4), v: fc.nat(9) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('ldel' as const), a, at: fc.nat(4) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        k: fc.constant('text' as const),
        a,
        at: fc.nat(4),
        del: fc.nat(2),
        s: fc.constantFrom('x', 'yz'),
      }),
    },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('sync' as const), a, b: fc.nat(actors - 1) }) },
  )
}

/** A history and a delivery of it: `picks` choose a causal order, `cuts` end batches. */
export interface Delivery {
  readonly actors: number
  readonly steps: Step[]
  readonly picks: number[]
  readonly cuts: boolean[]
}

export const deliveryArb: fc.Arbitrary<Delivery> = fc.integer({ min: 2, max: 3 }).chain((actors) =>
  fc.record({
    actors: fc.constant(actors),
    steps: fc.array(stepArb(actors), { maxLength: 14 }),
    picks: fc.array(fc.nat(5), { maxLength: 30 }),
    cuts: fc.array(fc.boolean(), { maxLength: 30 }),
  }),
)

interface Data {
  list: A.List<number>
  m: Record<string, unknown>
  t: string
  [key: string]: unknown
}

/** Every change the steps make, in one causal order. Actor 0 first makes a list, a map and a text. */
export function historyOf(actors: number, steps: readonly Step[]): Uint8Array[] {
  const docs = ACTORS.slice(0, actors).map((actor) => A.init<Data>({ actor }))
  docs[0] = A.change(docs[0]!, (d) => {
    d.list = [] as unknown as A.List<number>
    d.m = {}
    d.t = ''
  })
  // Merges through a fresh load, so that no actor's own view depends on a batched apply.
  const take = (to: number, from: number) =>
    (docs[to] = A.load<Data>(A.save(A.merge(docs[to]!, docs[from]!)), { actor: ACTORS[to] }))
  for (let i = 1; i < actors; i++) take(i, 0)
  for (const s of steps) {
    if (s.k === 'sync') {
      if (s.a !== s.b) take(s.b, s.a)
      continue
    }
    docs[s.a] = A.change(docs[s.a]!, (d) => edit(d, s))
  }
  let all = A.clone(docs[0]!)
  for (const d of docs.slice(1)) all = A.merge(all, d)
  return A.getAllChanges(all)
}

export function edit(d: Data, s: Exclude<Step, { k: 'sync' }>): void {
  const target: Record<string, unknown> = s.k === 'set' || s.k === 'del' ? (s.nested ? d.m : d) : d
  if (s.k === 'set') target[s.key] = s.obj ? { v: s.v } : s.v
  else if (s.k === 'del') {
    if (s.key in target) delete target[s.key]
  } else if (s.k === 'ins') d.list.insertAt(Math.min(s.at, d.list.length), s.v)
  else if (s.k === 'ldel') {
    if (d.list.length) d.list.deleteAt(s.at % d.list.length)
  } else {
    const at = Math.min(s.at, d.t.length)
    A.splice(d, ['t'], at, Math.min(s.del, d.t.length - at), s.s)
  }
}

/** A causal order of `changes` chosen by `picks` (each pick chooses among the changes ready then). */
export function causalOrder(changes: readonly Uint8Array[], picks: readonly number[]): Uint8Array[] {
  const left = changes.map((c) => ({ c, m: A.decodeChange(c) }))
  const done = new Set<string>()
  const out: Uint8Array[] = []
  for (let p = 0; left.length; p++) {
    const ready = left.filter((x) => x.m.deps.every((d) => done.has(d)))
    const pick = ready[(picks[p % Math.max(1, picks.length)] ?? 0) % ready.length]!
    left.splice(left.indexOf(pick), 1)
    done.add(pick.m.hash)
    out.push(pick.c)
  }
  return out
}

/** Any order of `changes` chosen by `picks`, dependencies first or not. */
export function anyOrder<T>(changes: readonly T[], picks: readonly number[]): T[] {
  const left = [...changes]
  const out: T[] = []
  for (let p = 0; left.length; p++)
    out.push(left.splice((picks[p % Math.max(1, picks.length)] ?? 0) % left.length, 1)[0]!)
  return out
}

/** `changes` cut into batches after each index where `cuts` says so (and at the end). */
export function batchesOf<T>(changes: readonly T[], cuts: readonly boolean[]): T[][] {
  const out: T[][] = []
  let batch: T[] = []
  changes.forEach((c, i) => {
    batch.push(c)
    if (cuts[i] || i === changes.length - 1) {
      out.push(batch)
      batch = []
    }
  })
  return out
}

/** A plain deep copy with keys sorted, so that views compare by value, not by key order. */
export function plain(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(plain)
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, plain(o[k])]),
    )
  }
  return x
}

/** What replaying a document's whole history gives: a fresh load of its save, read by `toJS`. */
export function replayed(doc: A.Doc<unknown>): unknown {
  const fresh = A.load(A.save(doc))
  try {
    return plain(A.toJS(fresh))
  } finally {
    A.free(fresh)
  }
}
