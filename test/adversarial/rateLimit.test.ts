import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready } from '@weft/core'
import { registerMembers, ServerConnection } from '@weft/client'
import { encodeBody } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { rawRequest, signedInMember } from './helpers/rawRequest.ts'

// Issue 10, item 3: the request limiter was keyed by the bearer token before it was checked, so a
// made-up token per request was a fresh bucket each time. Now a request counts against its client
// address until it is signed in (and whenever its token fails), and against its session and its
// tenant after. The attacks come from 127.0.0.2; the tenant that keeps working, from 127.0.0.1.

const RATE = 20
const BURST = 40
const ATTACKER = '127.0.0.2'

beforeAll(ready)

describe('rate limits', () => {
  let server: WeftServer
  beforeAll(async () => {
    server = await WeftServer.start({ limits: { requestsPerSecond: RATE, burst: BURST } })
  })
  afterAll(() => server.close())

  /** Sends `n` requests one after another; how many were answered 429 WEFT_RATE_LIMITED. */
  async function limited(n: number, send: (i: number) => Promise<{ status: number; code?: string }>): Promise<number> {
    let count = 0
    for (let i = 0; i < n; i++) {
      const a = await send(i)
      if (a.status === 429) {
        expect(a.code).toBe(ErrorCodes.RATE_LIMITED)
        count++
      }
    }
    return count
  }

  it('limits made-up bearer tokens by address, while another tenant keeps working', async () => {
    const victim = await signedInMember(server.url, 'rate-victim')
    const body = encodeBody({})
    // A fresh random token per request: each fails, and each counts against the attacker's address.
    const refused = await limited(3 * BURST, () =>
      rawRequest(`${server.url}/v1/t/rate-victim/db/notes/head`, {
        body,
        localAddress: ATTACKER,
        headers: { authorization: `Bearer ${Math.random().toString(36).slice(2)}` },
      }),
    )
    expect(refused).toBeGreaterThanOrEqual(BURST)
    // The victim tenant, signed in from another address, is not slowed by the attacker's refusals.
    for (let i = 0; i < 10; i++)
      await expect(victim.connection.db('notes', 'head', {})).resolves.toMatchObject({ count: 0 })
  })

  it('limits the operations before sign-in by address', async () => {
    const publicKey = generateSigningKeyPair().publicKey
    const refused = await limited(3 * BURST, (i) =>
      rawRequest(`${server.url}/v1/t/rate-anon-${i}/challenge`, {
        body: encodeBody({ publicKey }),
        localAddress: '127.0.0.3',
      }),
    )
    expect(refused).toBeGreaterThanOrEqual(BURST)
    // Another address signs in and works.
    const other = await signedInMember(server.url, 'rate-other')
    await expect(other.connection.db('notes', 'head', {})).resolves.toMatchObject({ count: 0 })
  })

  it('limits a signed-in session by its verified token, not by what it claims', async () => {
    const member = await signedInMember(server.url, 'rate-session')
    const refused = await limited(3 * BURST, () =>
      rawRequest(`${server.url}/v1/t/rate-session/db/notes/head`, {
        body: encodeBody({}),
        headers: { authorization: `Bearer ${member.token}` },
      }),
    )
    expect(refused).toBeGreaterThanOrEqual(BURST)
  })
})

describe('tenant rate limits', () => {
  let server: WeftServer
  beforeAll(async () => {
    server = await WeftServer.start({
      limits: { requestsPerSecond: 1_000, burst: 1_000 },
      quotas: { tenantRequestsPerSecond: RATE, tenantBurst: BURST },
    })
  })
  afterAll(() => server.close())

  it('limits a verified tenant across its sessions, and never another tenant', async () => {
    const tenant = 'rate-busy'
    // Several sessions of one tenant: each is under its own rate, together over the tenant's.
    const admin = generateSigningKeyPair()
    const keys = [0, 1, 2, 3].map(() => generateSigningKeyPair())
    await registerMembers({ url: server.url, tenant, admin, seq: 1, add: keys.map((k) => k.publicKey) })
    const tokens = await Promise.all(keys.map((key) => new ServerConnection({ url: server.url, tenant, key }).token()))
    let refused = 0
    for (let i = 0; i < 3 * BURST; i++) {
      const a = await rawRequest(`${server.url}/v1/t/${tenant}/db/notes/head`, {
        body: encodeBody({}),
        headers: { authorization: `Bearer ${tokens[i % tokens.length]}` },
      })
      if (a.status === 429) refused++
    }
    expect(refused).toBeGreaterThanOrEqual(BURST)
    const quiet = await signedInMember(server.url, 'rate-quiet')
    await expect(quiet.connection.db('notes', 'head', {})).resolves.toMatchObject({ count: 0 })
  })
})
