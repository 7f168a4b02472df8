import { beforeAll, describe, expect, it } from 'vitest'
import {
  createMemberRecord,
  generateSigningKeyPair,
  MemoryKeyValueStore,
  randomBytes,
  ready,
  toBase64Url,
  type SigningKeyPair,
} from '@weft/core/backend'
import { TenantDirectory } from '../src/TenantDirectory.ts'

beforeAll(ready)

const TENANT = 'acme'

function genesis(root: SigningKeyPair): string {
  return createMemberRecord(
    { op: 'genesis', userId: 'u0', name: 'root', device: { key: root.publicKey, box: randomBytes(32) } },
    { tenant: TENANT, lamport: 0, nonce: randomBytes(16) },
    root,
  )
}

function add(
  signer: SigningKeyPair,
  device: SigningKeyPair,
  lamport: number,
  role: 'admin' | 'writer' | 'reader' = 'writer',
) {
  return createMemberRecord(
    {
      op: 'add-device',
      userId: toBase64Url(device.publicKey),
      name: 'd',
      role,
      device: { key: device.publicKey, box: randomBytes(32) },
      joinId: toBase64Url(randomBytes(8)),
    },
    { tenant: TENANT, lamport, nonce: randomBytes(16) },
    signer,
  )
}

describe('TenantDirectory', () => {
  it('keeps the records its fold applies, in storage: another instance on the same store admits the same devices', async () => {
    const kv = new MemoryKeyValueStore()
    const root = generateSigningKeyPair()
    const phone = generateSigningKeyPair()
    const rootId = toBase64Url(root.publicKey)
    const dir = new TenantDirectory(kv)
    expect(await dir.post(TENANT, rootId, [genesis(root), add(root, phone, 1, 'reader')])).toMatchObject({
      added: 2,
      held: 2,
      refused: [],
    })
    const again = new TenantDirectory(kv)
    expect(await again.standing(TENANT, rootId, toBase64Url(phone.publicKey))).toBe('reader')
    expect(await again.isAdmin(TENANT, rootId, rootId)).toBe(true)
    await again.erase(TENANT)
    expect(await new TenantDirectory(kv).standing(TENANT, rootId, toBase64Url(phone.publicKey))).toBeUndefined()
    expect(await kv.keys('directory/')).toEqual([])
  })

  it('holds a record that arrives before the one it depends on aside, and applies it when that one arrives', async () => {
    const root = generateSigningKeyPair()
    const laptop = generateSigningKeyPair()
    const phone = generateSigningKeyPair()
    const rootId = toBase64Url(root.publicKey)
    const dir = new TenantDirectory(new MemoryKeyValueStore())
    const byLaptop = add(laptop, phone, 2)
    const early = await dir.post(TENANT, rootId, [genesis(root), byLaptop])
    expect(early).toMatchObject({ added: 1, held: 1 })
    expect(early.refused.map((r) => r.index)).toEqual([1])
    expect(await dir.standing(TENANT, rootId, toBase64Url(phone.publicKey))).toBeUndefined()
    expect(await dir.post(TENANT, rootId, [add(root, laptop, 1, 'admin')])).toMatchObject({ added: 2, held: 3 })
    expect(await dir.standing(TENANT, rootId, toBase64Url(phone.publicKey))).toBe('member')
  })

  it('holds at most 64 records of a tenant aside, the oldest dropped first', async () => {
    const root = generateSigningKeyPair()
    const stranger = generateSigningKeyPair()
    const rootId = toBase64Url(root.publicKey)
    const dir = new TenantDirectory(new MemoryKeyValueStore())
    const first = add(stranger, generateSigningKeyPair(), 1)
    await dir.post(TENANT, rootId, [genesis(root), first])
    for (let i = 0; i < 4; i++)
      await dir.post(
        TENANT,
        rootId,
        Array.from({ length: 20 }, () => add(stranger, generateSigningKeyPair(), 2)),
      )
    // The stranger becomes an admin: of its records, only the 64 newest held aside still apply.
    const r = await dir.post(TENANT, rootId, [add(root, stranger, 1, 'admin')])
    expect(r.added).toBe(1 + 64)
    expect(r.held).toBe(2 + 64)
  })
})
