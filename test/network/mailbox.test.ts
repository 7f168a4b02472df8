import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready } from '@weft/core'
import { registerMembers, ServerConnection } from '@weft/client'
import { MAIL_LIMITS } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { rawPost } from './helpers/http.ts'

let server: WeftServer
beforeAll(async () => {
  await ready()
  // The quota test posts a thousand messages: well over the default rate limit.
  server = await WeftServer.start({ limits: { requestsPerSecond: 100_000, burst: 100_000 } })
})
afterAll(() => server.close())

let n = 0
async function member(tenant = `mail-${process.pid}-${++n}`) {
  const admin = generateSigningKeyPair()
  const key = generateSigningKeyPair()
  await registerMembers({ url: server.url, tenant, admin, seq: 1, add: [key.publicKey] })
  return { tenant, admin, key, connection: new ServerConnection({ url: server.url, tenant, key }) }
}

describe("a tenant's mailbox on the server", () => {
  it('keeps messages in arrival order with the key that posted them, and pages them', async () => {
    const a = await member()
    const other = new ServerConnection({ url: server.url, tenant: a.tenant, key: a.admin })
    for (let i = 0; i < 5; i++) await (i % 2 ? other : a.connection).mail('put', { body: new Uint8Array([i]) })
    const all = await a.connection.mail('list', { after: 0 })
    expect(all.messages.map((m) => [m.seq, m.body[0]])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 3],
      [5, 4],
    ])
    expect(all.messages.map((m) => Buffer.from(m.from).equals(Buffer.from(a.admin.publicKey)))).toEqual([
      false,
      true,
      false,
      true,
      false,
    ])
    const page = await a.connection.mail('list', { after: 2, limit: 2 })
    expect(page.messages.map((m) => m.seq)).toEqual([3, 4])
    expect(page.more).toBe(true)
  })

  it("is per tenant: another tenant's members neither read nor write it", async () => {
    const a = await member()
    const b = await member()
    await a.connection.mail('put', { body: new Uint8Array([42]) })
    expect((await b.connection.mail('list', { after: 0 })).messages).toEqual([])
    // A session of b naming a's tenant is refused.
    const token = await b.connection.token()
    const res = await rawPost(
      `${server.url}/v1/t/${a.tenant}/mail/list`,
      { after: 0 },
      { authorization: `Bearer ${token}` },
    )
    expect(res.error?.code).toBe(ErrorCodes.FORBIDDEN)
    const anonymous = await rawPost(`${server.url}/v1/t/${a.tenant}/mail/put`, { body: new Uint8Array(1) })
    expect(anonymous.error?.code).toBe(ErrorCodes.UNAUTHORIZED)
  })

  it('refuses oversized and malformed messages and enforces its quota, losing nothing it held', async () => {
    const a = await member()
    await expect(
      a.connection.mail('put', { body: new Uint8Array(MAIL_LIMITS.maxMessageBytes + 1) }),
    ).rejects.toMatchObject({
      code: ErrorCodes.PAYLOAD_TOO_LARGE,
    })
    await expect(a.connection.mail('put', { body: 'text' as unknown as Uint8Array })).rejects.toMatchObject({
      code: ErrorCodes.PROTOCOL,
    })
    const puts = Array.from({ length: MAIL_LIMITS.maxMessages }, (_, i) =>
      a.connection.mail('put', { body: new Uint8Array([i & 255]) }),
    )
    const seqs = (await Promise.all(puts)).map((r) => r.seq).sort((x, y) => x - y)
    expect(seqs).toEqual(Array.from({ length: MAIL_LIMITS.maxMessages }, (_, i) => i + 1))
    await expect(a.connection.mail('put', { body: new Uint8Array(1) })).rejects.toMatchObject({
      code: ErrorCodes.QUOTA_EXCEEDED,
    })
    let after = 0
    let count = 0
    for (;;) {
      const page = await a.connection.mail('list', { after })
      count += page.messages.length
      after = page.messages.at(-1)?.seq ?? after
      if (!page.more) break
    }
    expect(count).toBe(MAIL_LIMITS.maxMessages)
  })
})
