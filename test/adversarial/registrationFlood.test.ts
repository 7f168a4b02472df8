import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready, type SigningKeyPair } from '@weft/core'
import { registerMembers } from '@weft/client'
import { createRegistration, encodeBody, MSGPACK_TYPE } from '@weft/protocol'
import { healthLatency, startChildServer, type ChildServer } from './helpers/childServer.ts'

// Anyone may name a new tenant id and become its admin: the one thing anonymous callers can make a
// server keep. A flood of them from one address is refused past its share, while another address
// still registers; the server as a whole stops at its tenant limit; with open registration off
// only an operator token creates a tenant.

const PER_ADDRESS = 20
const MAX_TENANTS = 30
const TOKEN = 'operator-issued-token-for-tests'

let open: ChildServer
let closed: ChildServer
beforeAll(async () => {
  await ready()
  const limits = { requestsPerSecond: 100_000, burst: 100_000 } // the per-client rate is not what is tested here
  ;[open, closed] = await Promise.all([
    startChildServer(
      { limits, registration: { maxTenants: MAX_TENANTS, perAddress: { tenants: PER_ADDRESS, windowMs: 3_600_000 } } },
      192,
    ),
    startChildServer({ limits, registration: { open: false, tokens: [TOKEN] } }, 192),
  ])
})
afterAll(async () => {
  await Promise.all([open?.kill(), closed?.kill()])
})

async function serverIdOf(url: string): Promise<string> {
  return ((await (await fetch(`${url}/v1/identity`)).json()) as { serverId: string }).serverId
}

/** POSTs a registration from a chosen loopback address; the status and error code of the answer. */
function register(
  url: string,
  from: string,
  tenant: string,
  admin: SigningKeyPair,
  serverId: string,
  opts: { seq?: number; add?: Uint8Array[]; token?: string } = {},
): Promise<{ status: number; code?: string; retryAfter?: string }> {
  const registration = createRegistration({ server: serverId, tenant, seq: opts.seq ?? 1, add: opts.add ?? [] }, admin)
  const body = encodeBody({ registration, ...(opts.token ? { token: opts.token } : {}) })
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method: 'POST',
        path: `/v1/t/${encodeURIComponent(tenant)}/register`,
        localAddress: from,
        headers: { 'content-type': MSGPACK_TYPE, 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const status = res.statusCode ?? 0
          const text = Buffer.concat(chunks).toString()
          const code = status === 200 ? undefined : (JSON.parse(text) as { code: string }).code
          resolve({
            status,
            ...(code ? { code } : {}),
            ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
          })
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

let n = 0
const tenantId = () => `flood-${process.pid}-${++n}`

describe('registration flood', () => {
  it('refuses one address past its share of new tenants (429, retry later) while another address registers, and health stays fast', async () => {
    const serverId = await serverIdOf(open.url)
    const first = generateSigningKeyPair()
    const firstTenant = tenantId()
    expect(await register(open.url, '127.0.0.1', firstTenant, first, serverId)).toEqual({ status: 200 })
    const flood = await Promise.all(
      Array.from({ length: 200 }, () =>
        register(open.url, '127.0.0.1', tenantId(), generateSigningKeyPair(), serverId),
      ),
    )
    const ok = flood.filter((r) => r.status === 200)
    expect(ok).toHaveLength(PER_ADDRESS - 1)
    const refused = flood.filter((r) => r.status !== 200)
    expect(new Set(refused.map((r) => r.code))).toEqual(new Set([ErrorCodes.RATE_LIMITED]))
    expect(refused.every((r) => r.status === 429 && Number(r.retryAfter) > 0)).toBe(true)
    expect(await healthLatency(open.url)).toBeLessThan(200)

    // Another address still creates a tenant; the flooding address's own tenant still adds members.
    expect(await register(open.url, '127.0.0.2', tenantId(), generateSigningKeyPair(), serverId)).toEqual({
      status: 200,
    })
    expect(
      await register(open.url, '127.0.0.1', firstTenant, first, serverId, {
        seq: 2,
        add: [generateSigningKeyPair().publicKey],
      }),
    ).toEqual({ status: 200 })
    expect(open.alive()).toBe(true)
  })

  it("creates no tenant past the server's limit, from any address (507 WEFT_SERVER_FULL), and known tenants still register members", async () => {
    const serverId = await serverIdOf(open.url)
    // The first test left 21 tenants; addresses of their own fill the rest.
    const results: { status: number; code?: string }[] = []
    for (let i = 3; i < 3 + 20; i++)
      results.push(await register(open.url, `127.0.0.${i}`, tenantId(), generateSigningKeyPair(), serverId))
    expect(results.filter((r) => r.status === 200)).toHaveLength(MAX_TENANTS - (PER_ADDRESS + 1))
    expect(
      results.filter((r) => r.status !== 200).every((r) => r.status === 507 && r.code === ErrorCodes.SERVER_FULL),
    ).toBe(true)
    const admin = generateSigningKeyPair()
    expect((await register(open.url, '127.0.0.99', tenantId(), admin, serverId)).code).toBe(ErrorCodes.SERVER_FULL)
  })

  it("with open registration off, creates a tenant only with the operator's token; its admin then registers members without one", async () => {
    const serverId = await serverIdOf(closed.url)
    const admin = generateSigningKeyPair()
    const tenant = tenantId()
    expect(await register(closed.url, '127.0.0.1', tenant, admin, serverId)).toMatchObject({
      status: 403,
      code: ErrorCodes.REGISTRATION_CLOSED,
    })
    expect(await register(closed.url, '127.0.0.1', tenant, admin, serverId, { token: `${TOKEN}-guess` })).toMatchObject(
      {
        status: 403,
        code: ErrorCodes.REGISTRATION_CLOSED,
      },
    )
    expect(await register(closed.url, '127.0.0.1', tenant, admin, serverId, { token: TOKEN })).toEqual({ status: 200 })
    expect(
      await register(closed.url, '127.0.0.1', tenant, admin, serverId, {
        seq: 2,
        add: [generateSigningKeyPair().publicKey],
      }),
    ).toEqual({ status: 200 })
    // The client passes the operator's token the same way.
    const other = tenantId()
    await expect(registerMembers({ url: closed.url, tenant: other, admin, seq: 1 })).rejects.toMatchObject({
      code: ErrorCodes.REGISTRATION_CLOSED,
    })
    await expect(
      registerMembers({ url: closed.url, tenant: other, admin, seq: 1, registrationToken: TOKEN }),
    ).resolves.toMatchObject({ members: 1 })
  })

  it('the command line takes the same limits: --registration-token closes open registration, --max-tenants caps the server', async () => {
    const cli = fileURLToPath(new URL('../../packages/server/src/cli.ts', import.meta.url))
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cli, '--memory', '--port', '0', '--registration-token', TOKEN, '--max-tenants', '1'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    try {
      const line = (await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()).value as string
      const url = /listening on (\S+)/.exec(line)![1]!
      const admin = generateSigningKeyPair()
      await expect(registerMembers({ url, tenant: tenantId(), admin, seq: 1 })).rejects.toMatchObject({
        code: ErrorCodes.REGISTRATION_CLOSED,
      })
      await registerMembers({ url, tenant: tenantId(), admin, seq: 1, registrationToken: TOKEN })
      await expect(
        registerMembers({ url, tenant: tenantId(), admin, seq: 1, registrationToken: TOKEN }),
      ).rejects.toMatchObject({ code: ErrorCodes.SERVER_FULL })
    } finally {
      child.kill('SIGKILL')
    }
  })
})
