import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ErrorCodes, MemoryKeyValueStore } from '@weft/core/backend'
import { KeyValueCatalogueStore } from '../src/tenancy/KeyValueCatalogueStore.ts'
import { TenantCatalogue } from '../src/tenancy/TenantCatalogue.ts'
import type { TenantStatus } from '../src/tenancy/TenantRecord.ts'

type Op =
  | { op: 'create'; id: string }
  | { op: 'suspend' | 'resume' | 'delete' | 'remove'; id: string }
  | { op: 'rename'; id: string; name: string }

const ids = fc.constantFrom('a', 'b', 'c', 'd:e', 'f')
const op: fc.Arbitrary<Op> = fc.oneof(
  ids.map((id) => ({ op: 'create' as const, id })),
  fc
    .tuple(fc.constantFrom('suspend', 'resume', 'delete', 'remove') as fc.Arbitrary<Op['op']>, ids)
    .map(([o, id]) => ({ op: o, id }) as Op),
  fc.tuple(ids, fc.string({ minLength: 1, maxLength: 8 })).map(([id, name]) => ({ op: 'rename' as const, id, name })),
)

/** What each step should do to a tenant of this status (undefined: no record). */
function expected(o: Op, status: TenantStatus | undefined): TenantStatus | undefined | string {
  if (o.op === 'create') return status === undefined ? 'active' : ErrorCodes.TENANT_EXISTS
  if (o.op === 'remove') return undefined
  if (status === undefined) return ErrorCodes.TENANT_NOT_FOUND
  if (o.op === 'suspend') return status === 'deleting' ? ErrorCodes.TENANT_STATE : 'suspended'
  if (o.op === 'resume') return status === 'deleting' ? ErrorCodes.TENANT_STATE : 'active'
  if (o.op === 'delete') return 'deleting'
  return status === 'deleting' ? ErrorCodes.TENANT_STATE : status
}

describe('TenantCatalogue', () => {
  it('any sequence of lifecycle steps keeps the catalogue equal to a model, in memory and as stored (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), async (ops, pageSize) => {
        const kv = new MemoryKeyValueStore()
        let clock = 1_000
        const catalogue = new TenantCatalogue(await KeyValueCatalogueStore.open(kv), {
          isolation: 'shared',
          now: () => clock++,
        })
        const model = new Map<string, { status: TenantStatus; name: string }>()
        for (const o of ops) {
          const before = model.get(o.id)
          const want = expected(o, before?.status)
          const run = async () => {
            if (o.op === 'create') return catalogue.create({ id: o.id })
            if (o.op === 'remove') return catalogue.remove(o.id)
            if (o.op === 'rename') return catalogue.update(o.id, { name: o.name })
            return catalogue.transition(o.id, o.op)
          }
          let code: string | undefined
          await run().catch((err: { code: string }) => (code = err.code))
          if (typeof want === 'string' && want.startsWith('WEFT_')) {
            expect(code).toBe(want)
            continue
          }
          expect(code).toBeUndefined()
          if (want === undefined) model.delete(o.id)
          else
            model.set(o.id, { status: want as TenantStatus, name: o.op === 'rename' ? o.name : (before?.name ?? o.id) })
        }
        // The same records, read through a catalogue with nothing cached, page by page.
        for (const c of [
          catalogue,
          new TenantCatalogue(await KeyValueCatalogueStore.open(kv), { isolation: 'shared' }),
        ]) {
          const listed = []
          let after: string | undefined
          for (;;) {
            const page = await c.list(after, pageSize)
            expect(page.tenants.length).toBeLessThanOrEqual(pageSize)
            listed.push(...page.tenants)
            if (!page.next) break
            after = page.next
          }
          expect(listed.map((r) => r.id)).toEqual([...model.keys()].sort())
          for (const r of listed) {
            expect({ status: r.status, name: r.name }).toEqual(model.get(r.id))
            expect(r.updatedAt).toBeGreaterThanOrEqual(r.createdAt)
          }
          expect((await c.deleting()).sort()).toEqual(
            [...model]
              .filter(([, m]) => m.status === 'deleting')
              .map(([id]) => id)
              .sort(),
          )
        }
      }),
      { numRuns: 200 },
    )
  })

  it('adopts a tenant found in use once, however many requests race to', async () => {
    const catalogue = new TenantCatalogue(await KeyValueCatalogueStore.open(new MemoryKeyValueStore()), {
      isolation: 'schema',
    })
    const all = await Promise.all(Array.from({ length: 10 }, () => catalogue.ensure('x')))
    expect(new Set(all.map((r) => r.createdAt)).size).toBe(1)
    expect(all[0]).toMatchObject({ id: 'x', adopted: true, isolation: 'schema', status: 'active' })
  })
})
