import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { ready } from '../src/crypto/index.ts'
import { authenticateEntries, checkEntryBatch, DEFAULT_ENTRY_LIMITS } from '../src/entries/index.ts'
import { ErrorCodes, WeftError } from '../src/errors.ts'
import { EntryFactory, envelope, withBadSignature } from '../src/store/conformance/index.ts'
import type { ChangeHash } from '../src/types.ts'

const plain = (e: { hash: ChangeHash; bytes: Uint8Array }) => ({ hash: e.hash, bytes: e.bytes.slice() })

/** `length` entries of one document, each listing the one before. */
function chain(f: EntryFactory, length: number, docIndex = 0) {
  const out = [f.entry(docIndex)]
  while (out.length < length) out.push(f.entry(docIndex, [out[out.length - 1]!.hash]))
  return out
}

describe('authenticating a batch under the vouching rule', () => {
  beforeAll(ready)

  it('checks one signature per same-author chain, at its newest entry', async () => {
    const f = new EntryFactory(2)
    const batch = [...chain(f, 10, 0), ...chain(f, 10, 1)].map(plain)
    const check = await checkEntryBatch(batch, DEFAULT_ENTRY_LIMITS)
    expect(check.signaturesChecked).toBe(2)
    expect(check.settle([]).every((o) => !(o instanceof WeftError))).toBe(true)
  })

  it('checks every entry that nothing of its author lists, and none signed in this process', async () => {
    const f = new EntryFactory(5)
    const loose = f.entries(5)
    expect((await checkEntryBatch(loose.map(plain), DEFAULT_ENTRY_LIMITS)).signaturesChecked).toBe(5)
    const trusted = await checkEntryBatch(loose, DEFAULT_ENTRY_LIMITS, { trusted: () => true })
    expect(trusted.signaturesChecked).toBe(0)
    // A chain of two authors alternating: no link is same-author, so each is checked.
    const x = new EntryFactory(1)
    const y = new EntryFactory(1)
    const mixed = [x.entry(0)]
    for (let i = 1; i < 6; i++) mixed.push((i % 2 ? y : x).entry(0, [mixed[i - 1]!.hash]))
    expect((await checkEntryBatch(mixed.map(plain), DEFAULT_ENTRY_LIMITS)).signaturesChecked).toBe(6)
  })

  it('checks the entries under a voucher whose own signature fails, and asks the store about the rest', async () => {
    const f = new EntryFactory(1)
    const [a, b] = chain(f, 2)
    const tip = withBadSignature(f.entry(0, [b!.hash]))
    const check = await checkEntryBatch([plain(a!), plain(b!), tip], DEFAULT_ENTRY_LIMITS)
    expect(check.signaturesChecked).toBe(3)
    expect(check.unresolved.map((c) => c.hash)).toEqual([tip.hash])
    const settled = check.settle([true])
    expect(settled.every((o) => !(o instanceof WeftError))).toBe(true)
    const refused = (await checkEntryBatch([tip], DEFAULT_ENTRY_LIMITS)).settle([false])
    expect(refused[0]).toMatchObject({ code: ErrorCodes.BAD_SIGNATURE })
  })

  it('decides the same for every order of the batch, as the model of the rule does', async () => {
    // Two authors; every entry lists earlier entries of its document, of either author; some
    // signatures spoiled. The model: good signatures, closed under same-author links.
    const shape = fc.array(
      fc.record({ author: fc.nat(1), good: fc.boolean(), deps: fc.array(fc.nat(20), { maxLength: 2 }) }),
      { minLength: 1, maxLength: 12 },
    )
    const authors = [new EntryFactory(1), new EntryFactory(1)]
    await fc.assert(
      fc.asyncProperty(shape, fc.integer(), async (specs, seed) => {
        const made: { hash: ChangeHash; bytes: Uint8Array; author: number; good: boolean; deps: ChangeHash[] }[] = []
        for (const s of specs) {
          const deps = [...new Set(s.deps.filter((d) => d < made.length).map((d) => made[d]!.hash))]
          const e = authors[s.author]!.entry(0, deps)
          const env = s.good ? envelope(e) : withBadSignature(e)
          made.push({ ...env, author: s.author, good: s.good, deps })
        }
        const byHash = new Map(made.map((m) => [m.hash, m]))
        const authentic = new Set<ChangeHash>()
        const stack = made.filter((m) => m.good)
        for (let m = stack.pop(); m; m = stack.pop()) {
          if (authentic.has(m.hash)) continue
          authentic.add(m.hash)
          for (const d of m.deps) if (byHash.get(d)?.author === m.author) stack.push(byHash.get(d)!)
        }
        const shuffled = [...made]
        for (let i = shuffled.length - 1, r = seed >>> 0; i > 0; i--) {
          r = (Math.imul(r, 1103515245) + 12345) >>> 0
          const k = r % (i + 1)
          ;[shuffled[i], shuffled[k]] = [shuffled[k]!, shuffled[i]!]
        }
        for (const list of [made, shuffled, [...made].reverse()]) {
          const outcomes = await authenticateEntries(list.map(plain), DEFAULT_ENTRY_LIMITS)
          const accepted = new Set(list.filter((_, i) => !(outcomes[i] instanceof WeftError)).map((m) => m.hash))
          expect(accepted).toEqual(authentic)
        }
      }),
      { numRuns: 40 },
    )
  })
})
