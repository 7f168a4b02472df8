import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EntryLedger } from '../src/db/EntryLedger.ts'
import { ErrorCodes, WeftError } from '../src/errors.ts'
import type { ChangeHash, DocId } from '../src/types.ts'

const hash = (i: number) => i.toString(16).padStart(64, '0') as ChangeHash
const doc = (i: number) => `d${i}` as DocId

/** One step on the ledger, over a few hashes and documents so that steps collide. */
const step = fc.oneof(
  fc.record({ op: fc.constant('apply' as const), h: fc.nat(7), d: fc.nat(3) }),
  fc.record({ op: fc.constant('hold' as const), h: fc.nat(7), d: fc.nat(3), locked: fc.boolean() }),
  fc.record({ op: fc.constant('reject' as const), h: fc.nat(7), remember: fc.boolean() }),
  fc.record({ op: fc.constant('chunk' as const), h: fc.nat(7) }),
  fc.record({ op: fc.constant('forget' as const), h: fc.nat(7) }),
)

describe('EntryLedger', () => {
  it('reports every entry in exactly one outcome, the one its last step gave it', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const ledger = new EntryLedger()
        // The model: what each hash became, as plain maps.
        const applied = new Map<ChangeHash, DocId>()
        const held = new Map<ChangeHash, { docId: DocId; locked: boolean }>()
        const rejected = new Map<ChangeHash, WeftError>()
        const chunks = new Set<ChangeHash>()
        for (const s of steps) {
          const h = hash(s.h)
          if (s.op === 'apply') {
            ledger.markApplied(h, doc(s.d))
            applied.set(h, doc(s.d))
            held.delete(h)
          } else if (s.op === 'hold') {
            const code = s.locked ? ErrorCodes.KEY_NOT_FOUND : ErrorCodes.UNTRUSTED_SIGNER
            ledger.hold({ hash: h, docId: doc(s.d), code })
            held.set(h, { docId: doc(s.d), locked: s.locked })
          } else if (s.op === 'reject') {
            const error = new WeftError(ErrorCodes.DECRYPT_FAILED, `refused ${s.h}`)
            const was = ledger.reject(h, error, s.remember)
            expect(was?.docId).toBe(held.get(h)?.docId)
            if (s.remember) rejected.set(h, error)
            held.delete(h)
          } else if (s.op === 'chunk') {
            ledger.addChunk(h)
            chunks.add(h)
          } else {
            ledger.forgetHeld(h)
            held.delete(h)
          }
        }
        const all = Array.from({ length: 8 }, (_, i) => hash(i))
        const report = ledger.status(all)
        for (const h of all) {
          const places = [
            report.applied.includes(h),
            report.locked.some((x) => x.hash === h),
            report.untrusted.some((x) => x.hash === h),
            report.rejected.some((x) => x.hash === h),
          ]
          expect(places.filter(Boolean)).toHaveLength(1)
          expect(ledger.isDone(h)).toBe(applied.has(h) || chunks.has(h))
          expect(ledger.knows(h)).toBe(applied.has(h) || held.has(h) || rejected.has(h))
          if (chunks.has(h) || applied.has(h)) expect(places[0]).toBe(true)
          else if (held.has(h)) expect(places[held.get(h)!.locked ? 1 : 2]).toBe(true)
          else {
            const error = report.rejected.find((x) => x.hash === h)!.error
            if (rejected.has(h)) expect(error).toBe(rejected.get(h))
            else expect(error.code).toBe(ErrorCodes.INVALID_ARGUMENT)
          }
        }
        // Documents are those of applied entries, each once.
        expect(new Set(report.docIds)).toEqual(new Set([...applied].filter(([h]) => !chunks.has(h)).map(([, d]) => d)))
        expect(report.docIds.length).toBe(new Set(report.docIds).size)
        expect(ledger.heldCount).toBe(held.size)
        expect(new Set(ledger.heldHashes())).toEqual(new Set(held.keys()))
      }),
    )
  })

  it('forgets everything on clear', () => {
    const ledger = new EntryLedger()
    ledger.markApplied(hash(1), doc(1))
    ledger.hold({ hash: hash(2), docId: doc(1), code: ErrorCodes.KEY_NOT_FOUND })
    ledger.reject(hash(3), new WeftError(ErrorCodes.DECRYPT_FAILED, 'bad'), true)
    ledger.addChunk(hash(4))
    ledger.clear()
    for (const i of [1, 2, 3, 4]) {
      expect(ledger.knows(hash(i))).toBe(false)
      expect(ledger.isDone(hash(i))).toBe(false)
    }
    expect(ledger.heldCount).toBe(0)
  })
})
