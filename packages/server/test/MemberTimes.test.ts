import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MemoryKeyValueStore } from '@weft/core/backend'
import { MemberTimes, SIGN_IN_GRANULARITY_MS } from '../src/MemberTimes.ts'

/** A record store that counts its writes. */
class CountingStore extends MemoryKeyValueStore {
  puts = 0
  override async put(key: string, value: Uint8Array): Promise<void> {
    this.puts++
    await super.put(key, value)
  }
}

describe('MemberTimes sign-ins', () => {
  it('writes a sign-in at most once per granularity per key, and the kept time is never older than that', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.constantFrom('k1', 'k2', 'k3'), gap: fc.integer({ min: 0, max: 90_000 }) }), {
          maxLength: 40,
        }),
        async (signIns) => {
          const kv = new CountingStore()
          const times = new MemberTimes(kv)
          let now = 1_000_000
          const last = new Map<string, number>()
          const written = new Map<string, number>()
          let expectedPuts = 0
          for (const { key, gap } of signIns) {
            now += gap
            const before = written.get(key)
            if (before === undefined || now - before >= SIGN_IN_GRANULARITY_MS) {
              expectedPuts++
              written.set(key, now)
            }
            last.set(key, now)
            await times.signedIn('acme', key, now)
          }
          expect(kv.puts).toBe(expectedPuts)
          const kept = await times.read('acme', [...last.keys()])
          for (const [key, at] of last) {
            const seen = kept.get(key)!.lastSignInAt!
            expect(seen).toBeLessThanOrEqual(at)
            expect(at - seen).toBeLessThan(SIGN_IN_GRANULARITY_MS)
          }
        },
      ),
    )
  })

  it('notes a sign-in again after a reset erased the times', async () => {
    const kv = new CountingStore()
    const times = new MemberTimes(kv)
    await times.signedIn('acme', 'k1', 5_000)
    await times.erase('acme')
    await times.signedIn('acme', 'k1', 6_000)
    expect((await times.read('acme', ['k1'])).get('k1')).toEqual({ lastSignInAt: 6_000 })
  })
})
