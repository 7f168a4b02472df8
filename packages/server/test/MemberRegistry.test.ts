import { beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  generateSigningKeyPair,
  MemoryKeyValueStore,
  ready,
  toBase64Url,
  WeftError,
  type SigningKeyPair,
} from '@weft/core/backend'
import { createRegistration } from '@weft/protocol'
import { MemberRegistry } from '../src/MemberRegistry.ts'

beforeAll(ready)

const SERVER = 'server-under-test'
const b64 = (k: SigningKeyPair) => toBase64Url(k.publicKey)

function registration(
  admin: SigningKeyPair,
  tenant: string,
  seq: number,
  change: { add?: SigningKeyPair[]; revoke?: SigningKeyPair[]; authors?: SigningKeyPair[] } = {},
) {
  return createRegistration(
    {
      server: SERVER,
      tenant,
      seq,
      add: (change.add ?? []).map((k) => k.publicKey),
      revoke: (change.revoke ?? []).map((k) => k.publicKey),
      ...(change.authors ? { authors: change.authors.map((k) => k.publicKey) } : {}),
    },
    admin,
  )
}

describe('MemberRegistry limits', () => {
  it('counts members and authors against maxMembers and refuses a registration past it whole', async () => {
    const reg = new MemberRegistry(new MemoryKeyValueStore())
    const admin = generateSigningKeyPair()
    const [a, b, c] = [generateSigningKeyPair(), generateSigningKeyPair(), generateSigningKeyPair()]
    const limits = { maxMembers: 3 }
    await reg.register('t', registration(admin, 't', 1, { add: [a] }), limits)
    await reg.register('t', registration(admin, 't', 2, { authors: [b] }), limits)
    expect((await reg.usage('t')).members).toBe(3)
    await expect(
      reg.register('t', registration(admin, 't', 3, { add: [c], revoke: [a] }), { maxMembers: 1 }),
    ).rejects.toMatchObject({
      code: ErrorCodes.QUOTA_EXCEEDED,
    })
    // Nothing of the refused registration took effect, not even its revocation or its seq.
    expect(await reg.standing('t', b64(c))).toBe('unknown')
    expect(await reg.standing('t', b64(a))).toBe('member')
    await reg.register('t', registration(admin, 't', 3, { add: [c], revoke: [a] }), limits)
    expect(await reg.standing('t', b64(c))).toBe('member')
    expect(await reg.standing('t', b64(a))).toBe('revoked')
    expect((await reg.usage('t')).members).toBe(3)
  })

  it('reports the bytes of the stored record, and keeps revoked keys to maxMembers so revoking never grows it without bound', async () => {
    const kv = new MemoryKeyValueStore()
    const reg = new MemberRegistry(kv)
    const admin = generateSigningKeyPair()
    const limits = { maxMembers: 10 }
    let seq = 1
    const sizes: number[] = []
    const first = generateSigningKeyPair()
    for (let round = 0; round < 8; round++) {
      const keys = Array.from({ length: 5 }, () => generateSigningKeyPair())
      await reg.register('t', registration(admin, 't', seq++, { add: keys }), limits)
      if (round === 0) await reg.register('t', registration(admin, 't', seq++, { add: [first] }), limits)
      if (round === 0) await reg.register('t', registration(admin, 't', seq++, { revoke: [first] }), limits)
      await reg.register('t', registration(admin, 't', seq++, { revoke: keys }), limits)
      sizes.push((await reg.usage('t')).bytes)
    }
    expect((await reg.usage('t')).bytes).toBe((await kv.get('tenant/t'))!.length)
    expect(sizes.at(-1)).toBe(sizes[2]) // the record stopped growing once it held 10 revoked keys
    expect(await reg.standing('t', b64(first))).toBe('unknown') // the oldest revoked key was forgotten: refused all the same
  })

  it('asks admitTenant only before creating a tenant, and a refusal stores nothing', async () => {
    const reg = new MemberRegistry(new MemoryKeyValueStore())
    const admin = generateSigningKeyPair()
    const asked: number[] = []
    const admit = (held: number) => {
      asked.push(held)
      if (held >= 1) throw new WeftError(ErrorCodes.SERVER_FULL, 'full')
    }
    await reg.register('one', registration(admin, 'one', 1), { maxMembers: 10, admitTenant: admit })
    await reg.register('one', registration(admin, 'one', 2, { add: [generateSigningKeyPair()] }), {
      maxMembers: 10,
      admitTenant: admit,
    })
    await expect(
      reg.register('two', registration(admin, 'two', 1), { maxMembers: 10, admitTenant: admit }),
    ).rejects.toMatchObject({
      code: ErrorCodes.SERVER_FULL,
    })
    expect(asked).toEqual([0, 1])
    expect(await reg.tenants()).toBe(1)
    expect(await reg.standing('two', b64(admin))).toBe('unknown')
  })

  it('counts tenants created side by side exactly', async () => {
    const kv = new MemoryKeyValueStore()
    const reg = new MemberRegistry(kv)
    const admit = (held: number) => {
      if (held >= 5) throw new WeftError(ErrorCodes.SERVER_FULL, 'full')
    }
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        reg.register(`t${i}`, registration(generateSigningKeyPair(), `t${i}`, 1), {
          maxMembers: 10,
          admitTenant: admit,
        }),
      ),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5)
    expect(await reg.tenants()).toBe(5)
    expect((await kv.keys('tenant/')).length).toBe(5)
    expect(await new MemberRegistry(kv).tenants()).toBe(5)
  })
})
