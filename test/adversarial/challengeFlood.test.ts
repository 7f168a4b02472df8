import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready } from '@weft/core'
import { encodeBody } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { rawRequest, signedInMember } from './helpers/rawRequest.ts'

// Issue 10, item 3: the sign-in challenge table was shared by every tenant, and one client could
// keep it full (1,760 challenges a second), refusing everyone's sign-in. Now pending challenges
// have quotas per tenant and per client address, and a full table makes room by dropping the
// oldest challenge of the tenant holding the most. The floods come from 127.0.0.2 and up; the
// tenant that signs in, from 127.0.0.1. Small quotas keep the test fast; the defaults are the
// same rules with larger numbers.

const QUOTAS = { maxPending: 300, maxPendingPerTenant: 100, maxPendingPerAddress: 150 }

beforeAll(ready)

/** Asks for `n` challenges for `tenant` from `address`; the statuses, counted. */
async function flood(url: string, tenant: string, n: number, address: string): Promise<Record<number, number>> {
  const publicKey = generateSigningKeyPair().publicKey
  const counts: Record<number, number> = {}
  const answers = await Promise.all(
    Array.from({ length: n }, () =>
      rawRequest(`${url}/v1/t/${encodeURIComponent(tenant)}/challenge`, {
        body: encodeBody({ publicKey }),
        localAddress: address,
      }),
    ),
  )
  for (const a of answers) {
    counts[a.status] = (counts[a.status] ?? 0) + 1
    if (a.status === 429) expect(a.code).toBe(ErrorCodes.RATE_LIMITED)
  }
  return counts
}

describe('sign-in challenge floods', () => {
  let server: WeftServer
  beforeAll(async () => {
    // A request rate that lets the floods through: the quotas under test are the challenge table's.
    server = await WeftServer.start({ limits: { requestsPerSecond: 100_000, burst: 100_000 }, signIn: QUOTAS })
  })
  afterAll(() => server.close())

  it('holds one tenant to its quota of pending challenges, and another tenant still signs in', async () => {
    const counts = await flood(server.url, 'flooded', 250, '127.0.0.2')
    expect(counts[200]).toBe(QUOTAS.maxPendingPerTenant)
    expect(counts[429]).toBe(250 - QUOTAS.maxPendingPerTenant)
    const other = await signedInMember(server.url, 'flood-bystander')
    await expect(other.connection.db('notes', 'head', {})).resolves.toMatchObject({ count: 0 })
  })

  it('holds one address to its quota across tenants', async () => {
    let ok = 0
    for (let t = 0; t < 4; t++) ok += (await flood(server.url, `spread-${t}`, 60, '127.0.0.3'))[200] ?? 0
    expect(ok).toBe(QUOTAS.maxPendingPerAddress)
  })

  it('when many addresses and tenants fill the table, a tenant holding none still signs in', async () => {
    // Eight addresses, each spreading challenges over tenants of its own: 8 × 150 asked, 300 fit.
    for (let a = 4; a < 12; a++) {
      for (let t = 0; t < 3; t++) await flood(server.url, `filler-${a}-${t}`, 50, `127.0.0.${a}`)
    }
    for (let i = 0; i < 5; i++) {
      const m = await signedInMember(server.url, `full-table-${i}`)
      await expect(m.connection.db('notes', 'head', {})).resolves.toMatchObject({ count: 0 })
    }
  })
})
