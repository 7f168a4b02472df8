import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createMemberRecord,
  ErrorCodes,
  generateSigningKeyPair,
  randomBytes,
  ready,
  toBase64Url,
  type DirectoryOp,
  type SigningKeyPair,
} from '@weft/core/backend'
import { registerMembers, ServerConnection } from '@weft/client'
import { encodeBody } from '@weft/protocol'
import { healthLatency, startChildServer, type ChildServer } from './helpers/childServer.ts'
import { rawRequest } from './helpers/rawRequest.ts'

// The directory operation comes before sign-in: anyone may post records for any tenant the server
// holds. It is bounded like the other pre-sign-in operations: 64 KiB a request, the address's
// request rate, a cap on the records a tenant holds, and records the fold refuses are held aside
// in memory only within a fixed budget. A flood of signed records from strangers leaves the
// server's memory and latency where they were.

const MAX_RECORDS = 40
let fast: ChildServer
let limited: ChildServer
beforeAll(async () => {
  await ready()
  ;[fast, limited] = await Promise.all([
    startChildServer(
      {
        limits: { requestsPerSecond: 100_000, burst: 100_000 },
        registration: { perAddress: { tenants: 10_000, windowMs: 60_000 } },
        directory: { maxRecordsPerTenant: MAX_RECORDS },
      },
      192,
    ),
    startChildServer({ limits: { requestsPerSecond: 50, burst: 100 } }, 192),
  ])
})
afterAll(() => Promise.all([fast?.kill(), limited?.kill()]))

let n = 0
const tenantId = () => `dirflood-${process.pid}-${++n}`

/** `count` add-device records for `tenant`, signed by `signer`. */
function addRecords(tenant: string, signer: SigningKeyPair, count: number, from = 1): string[] {
  return Array.from({ length: count }, (_, i) => {
    const op: DirectoryOp = {
      op: 'add-device',
      userId: `user-${i}`,
      name: 'x'.repeat(16),
      role: 'writer',
      device: { key: generateSigningKeyPair().publicKey, box: randomBytes(32) },
      joinId: toBase64Url(randomBytes(8)),
    }
    return createMemberRecord(op, { tenant, lamport: from + i, nonce: randomBytes(16) }, signer)
  })
}

function post(url: string, tenant: string, records: string[], address = '127.0.0.1') {
  return rawRequest(`${url}/v1/t/${encodeURIComponent(tenant)}/directory`, {
    body: encodeBody({ records }),
    localAddress: address,
  })
}

async function held(url: string, tenant: string): Promise<number> {
  const conn = new ServerConnection({ url, tenant, key: generateSigningKeyPair() })
  return (await conn.post<{ held: number }>(`${conn.tenantPath}/directory`, { records: [] })).held
}

describe('directory flood', () => {
  it('signed records from strangers, across many tenants, are all refused and leave memory and latency bounded', async () => {
    const tenants = Array.from({ length: 20 }, tenantId)
    for (const t of tenants)
      await registerMembers({ url: fast.url, tenant: t, admin: generateSigningKeyPair(), seq: 1 })
    await post(fast.url, tenants[0]!, addRecords(tenants[0]!, generateSigningKeyPair(), 10)) // warm up
    const before = fast.rss()
    let posted = 0
    let half = 0
    for (let round = 0; round < 8; round++) {
      if (round === 4) half = fast.rss()
      const answers = await Promise.all(
        tenants.map((t) => {
          const records = addRecords(t, generateSigningKeyPair(), 130, round * 200 + 1)
          posted += records.length
          return post(fast.url, t, records)
        }),
      )
      for (const a of answers) expect(a).toMatchObject({ status: 403, code: ErrorCodes.MEMBER_RECORD_REFUSED })
    }
    expect(posted).toBe(20 * 8 * 130)
    // Measured here: about 48 MB over the first rounds (the heap growing to its working size), then flat.
    const after = fast.rss()
    expect(after - before).toBeLessThan(96 * 1024 * 1024)
    expect(after - half).toBeLessThan(16 * 1024 * 1024)
    expect(await healthLatency(fast.url)).toBeLessThan(300)
    expect(fast.alive()).toBe(true)
    // Nothing was kept for any tenant.
    for (const t of tenants.slice(0, 3)) expect(await held(fast.url, t)).toBe(0)
  })

  it("a tenant's directory holds at most its cap of records: a post past it is refused whole (507 WEFT_QUOTA_EXCEEDED)", async () => {
    const tenant = tenantId()
    const root = generateSigningKeyPair()
    await registerMembers({ url: fast.url, tenant, admin: root, seq: 1 })
    const genesis = createMemberRecord(
      { op: 'genesis', userId: 'root', name: 'root', device: { key: root.publicKey, box: randomBytes(32) } },
      { tenant, lamport: 0, nonce: randomBytes(16) },
      root,
    )
    const adds = addRecords(tenant, root, MAX_RECORDS + 10)
    expect(await post(fast.url, tenant, [genesis, ...adds])).toMatchObject({
      status: 507,
      code: ErrorCodes.QUOTA_EXCEEDED,
    })
    expect(await held(fast.url, tenant)).toBe(0)
    expect(await post(fast.url, tenant, [genesis, ...adds.slice(0, 29)])).toMatchObject({ status: 200 })
    expect(await held(fast.url, tenant)).toBe(30)
    expect(await post(fast.url, tenant, adds.slice(29))).toMatchObject({ status: 507, code: ErrorCodes.QUOTA_EXCEEDED })
    expect(await held(fast.url, tenant)).toBe(30)
  })

  it('a body over 64 KiB is refused (413) and one address past its request rate is slowed (429)', async () => {
    const tenant = tenantId()
    await registerMembers({ url: limited.url, tenant, admin: generateSigningKeyPair(), seq: 1 })
    const big = await post(limited.url, tenant, ['x'.repeat(70 * 1024)], '127.0.0.7')
    expect(big).toMatchObject({ status: 413, code: ErrorCodes.PAYLOAD_TOO_LARGE })
    const answers = await Promise.all(Array.from({ length: 200 }, () => post(limited.url, tenant, [], '127.0.0.8')))
    const limitedCount = answers.filter((a) => a.status === 429).length
    expect(limitedCount).toBeGreaterThan(0)
    expect(answers.every((a) => a.status === 200 || (a.status === 429 && a.code === ErrorCodes.RATE_LIMITED))).toBe(
      true,
    )
    // Another address is not affected.
    expect(await post(limited.url, tenant, [], '127.0.0.9')).toMatchObject({ status: 200 })
  })
})
