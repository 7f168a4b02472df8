import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKeyPair, MemoryKeyValueStore, ready, toBase64Url } from '@weft/core/backend'
import { createRegistration } from '@weft/protocol'
import { MemberRegistry } from '../src/MemberRegistry.ts'
import { MemberTimes } from '../src/MemberTimes.ts'
import { TenantDirectory } from '../src/TenantDirectory.ts'
import { listMembers, type MemberSources } from '../src/tenancy/listMembers.ts'

const TENANT = 'acme'
let sources: MemberSources
let keys: string[]
let revoked: string
let expired: string

beforeAll(async () => {
  await ready()
  const kv = new MemoryKeyValueStore()
  const registry = new MemberRegistry(kv)
  const admin = generateSigningKeyPair()
  const members = Array.from({ length: 30 }, () => generateSigningKeyPair())
  const register = (seq: number, change: { add?: Uint8Array[]; revoke?: Uint8Array[]; until?: number }) =>
    registry.register(
      TENANT,
      createRegistration({ server: 's', tenant: TENANT, seq, add: [], revoke: [], ...change }, admin),
    )
  await register(1, { add: members.slice(1).map((k) => k.publicKey) })
  await register(2, { revoke: [members[1]!.publicKey] })
  await register(3, { add: [members[0]!.publicKey], until: 1 })
  revoked = toBase64Url(members[1]!.publicKey)
  expired = toBase64Url(members[0]!.publicKey)
  keys = [admin, ...members].map((k) => toBase64Url(k.publicKey)).sort()
  sources = {
    registry,
    directory: new TenantDirectory(kv),
    times: new MemberTimes(kv),
    socketsByKey: () => new Map([[keys[3]!, 2]]),
  }
})

describe('listMembers', () => {
  it('pages through every key once, in key order, whatever the page size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: keys.length + 2 }), async (limit) => {
        const seen: string[] = []
        let after: string | undefined
        for (let pages = 0; ; pages++) {
          expect(pages).toBeLessThanOrEqual(keys.length)
          const page = await listMembers(sources, TENANT, { ...(after !== undefined ? { after } : {}), limit })
          expect(page.members.length).toBeLessThanOrEqual(limit)
          seen.push(...page.members.map((m) => m.key))
          if (!page.next) break
          after = page.next
        }
        expect(seen).toEqual(keys)
      }),
      { numRuns: 25 },
    )
  })

  it('shows a revoked key as removed, one past its time as expired, and open sockets by key', async () => {
    const { members } = await listMembers(sources, TENANT, { limit: 100 })
    const of = (key: string) => members.find((m) => m.key === key)!
    expect(of(revoked)).toMatchObject({ status: 'removed', source: 'registration' })
    expect(of(expired)).toMatchObject({ status: 'expired' })
    expect(of(keys[3]!).sockets).toBe(2)
    expect(members.filter((m) => m.status === 'active')).toHaveLength(keys.length - 2)
    expect(await listMembers(sources, 'nobody', { limit: 10 })).toEqual({ members: [] })
  })
})
