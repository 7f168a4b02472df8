import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ready,
  syncFiltered,
  whereField,
  withFilterId,
  type Database,
  type Document,
  type SyncState,
} from '../src/index.ts'
import { filterFingerprint } from '../src/backend.ts'
import { partners } from './helpers/partners.ts'

beforeAll(ready)

const SEED = Number(process.env.WEFT_FC_SEED ?? 0xf117)

/** Document ids of `db` that `target` holds, sorted. */
async function held(target: Database): Promise<string[]> {
  return (await target.getAllDocumentIds()).sort()
}

describe('a sync state remembers its filter', () => {
  it('sends an unchanged document that matches only the new filter', async () => {
    const {
      dbs: [a, b],
    } = await partners(['a', 'b'])
    const open = await a!.createDocument({ data: { status: 'open' } })
    const closed = await a!.createDocument({ data: { status: 'closed' } })
    let state = await syncFiltered(a!, b!, whereField('status', 'open'))
    expect(await held(b!)).toEqual([open.getId()])
    // Filter B matches `closed`, which has not changed since: it is sent all the same.
    state = await syncFiltered(a!, b!, whereField('status', 'closed'), state)
    expect(state.lastSent).toBe(1)
    expect(await held(b!)).toEqual([open.getId(), closed.getId()].sort())
    // The same filter again: nothing to do, the cursor is kept.
    const again = await syncFiltered(a!, b!, whereField('status', 'closed'), state)
    expect([again.lastSent, again.cursor]).toEqual([0, state.cursor])
  })

  it('tells function filters apart by their id, and equal descriptors alike however written', async () => {
    const {
      dbs: [a, b],
    } = await partners(['a', 'b'])
    const wanted = { v: 'x' }
    const doc = await a!.createDocument({ data: { kind: 'y' } })
    const byKind = (d: Document) => d.getData().kind === wanted.v
    const state = await syncFiltered(a!, b!, byKind, undefined, { filterId: 'by-kind/x' })
    expect(await held(b!)).toEqual([])
    wanted.v = 'y' // the same function text now matches other documents: a new id says so
    const next = await syncFiltered(a!, b!, byKind, state, { filterId: 'by-kind/y' })
    expect(await held(b!)).toEqual([doc.getId()])
    expect(next.filter).toBe('i:by-kind/y')
    expect(filterFingerprint(withFilterId('v2', () => true))).toBe(filterFingerprint(undefined, 'v2'))
    expect(filterFingerprint({ where: { a: 1, b: 'x' } })).toBe(filterFingerprint({ where: { b: 'x', a: 1 } }))
    expect(filterFingerprint({ where: { a: 1 } })).not.toBe(filterFingerprint({ where: { a: '1' } }))
  })

  it('after any sequence of filter changes, the target holds every document the last filter matches', async () => {
    const statuses = ['open', 'closed', 'held'] as const
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...statuses), { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ when: fc.nat(5), status: fc.constantFrom(...statuses) }), { maxLength: 4 }),
        async (filters, writes) => {
          const {
            dbs: [a, b],
          } = await partners(['a', 'b'])
          const docs: Record<string, string> = {}
          for (const s of statuses) docs[(await a!.createDocument({ data: { status: s } })).getId()] = s
          let state: SyncState | undefined
          for (const [step, status] of filters.entries()) {
            for (const w of writes.filter((x) => x.when === step))
              docs[(await a!.createDocument({ data: { status: w.status } })).getId()] = w.status
            state = await syncFiltered(a!, b!, whereField('status', status), state)
            const heldNow = new Set(await held(b!))
            const matching = Object.entries(docs)
              .filter(([, s]) => s === status)
              .map(([id]) => id)
            for (const id of matching) expect(heldNow.has(id)).toBe(true)
            // Only what some filter used so far matched ever reaches the target.
            const used = new Set(filters.slice(0, step + 1))
            for (const id of heldNow) expect(used.has(docs[id] as (typeof statuses)[number])).toBe(true)
          }
        },
      ),
      { seed: SEED, numRuns: 25 },
    )
  })
})
