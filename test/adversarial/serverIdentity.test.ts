import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready, type SigningKeyPair } from '@weft/core'
import { registerMembers, ServerConnection } from '@weft/client'
import {
  createRegistration,
  decodeBody,
  encodeBody,
  serverOrigin,
  signChallenge,
  type Bodies,
  type SignedRegistration,
} from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { LevelStoreFactory } from '@weft/store-level'
import { codeOf } from '../network/helpers/http.ts'

// Issue 10, item 9: a sign-in or a registration made for one server must not work on another. A
// member who signs in to S1 (another company's relay, say) gives S1 signatures; S1 must not be
// able to sign in to S2 as the member, even by sending S2 a Host header that names S1, nor replay
// on S2 a registration the admin made for S1 (which once re-admitted a key S2 had revoked).

beforeAll(ready)

/** POSTs a MessagePack body, optionally with another Host header; the decoded answer. */
async function post(
  url: string,
  body: unknown,
  host?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const u = new URL(url)
  const res = await new Promise<{ status: number; bytes: Buffer }>((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const bytes = encodeBody(body)
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/vnd.weft.v1+msgpack',
            'content-length': bytes.length,
            ...(host ? { host } : {}),
          },
        },
        (r) => {
          const chunks: Buffer[] = []
          r.on('data', (c: Buffer) => chunks.push(c))
          r.on('end', () => resolve({ status: r.statusCode!, bytes: Buffer.concat(chunks) }))
        },
      )
      req.on('error', reject)
      req.end(bytes)
    }, reject)
  })
  return {
    status: res.status,
    body: res.status === 200 ? decodeBody(new Uint8Array(res.bytes), 1 << 20) : JSON.parse(res.bytes.toString()),
  }
}

describe('server identity', () => {
  let s1: WeftServer
  let s2: WeftServer
  beforeAll(async () => {
    s1 = await WeftServer.start()
    s2 = await WeftServer.start()
  })
  afterAll(async () => {
    await s1.close()
    await s2.close()
  })

  it('each server says who it is, unauthenticated, and no two are the same', async () => {
    const id1 = (await (await fetch(`${s1.url}/v1/identity`)).json()) as { serverId: string }
    const id2 = (await (await fetch(`${s2.url}/v1/identity`)).json()) as { serverId: string }
    expect(id1.serverId).toBe(s1.serverId)
    expect(id2.serverId).toBe(s2.serverId)
    expect(s1.serverId).not.toBe(s2.serverId)
    expect(((await (await fetch(`${s1.url}/v1/health`)).json()) as { serverId: string }).serverId).toBe(s1.serverId)
  })

  it('refuses a sign-in made for another server, even when the Host header names that server', async () => {
    const tenant = 'identity-signin'
    const key = generateSigningKeyPair()
    const admin = generateSigningKeyPair()
    for (const s of [s1, s2]) await registerMembers({ url: s.url, tenant, admin, seq: 1, add: [key.publicKey] })
    // S1 fetches a challenge from S2 in the member's name, and has the member sign it as a sign-in to S1.
    const base = `${s2.url}/v1/t/${tenant}`
    const { body } = await post(`${base}/challenge`, { publicKey: key.publicKey })
    const challenge = body.challenge as Uint8Array
    const forS1 = { origin: serverOrigin(s1.url), serverId: s1.serverId }
    const signature = signChallenge(forS1, tenant, challenge, key)
    const relayed = {
      publicKey: key.publicKey,
      challenge,
      server: forS1.origin,
      serverId: forS1.serverId,
      signature,
    } satisfies Bodies['session']['req']
    // Presented to S2 with a Host header naming S1: the origin passes, the identity does not.
    expect(await post(`${base}/session`, relayed, new URL(s1.url).host)).toMatchObject({
      status: 401,
      body: { code: ErrorCodes.UNAUTHORIZED },
    })
    // Claiming S2's identity instead: the signature was not made over it.
    const { body: again } = await post(`${base}/challenge`, { publicKey: key.publicKey })
    const claimed = {
      ...relayed,
      challenge: again.challenge as Uint8Array,
      signature: signChallenge(forS1, tenant, again.challenge as Uint8Array, key),
      serverId: s2.serverId,
    }
    expect(await post(`${base}/session`, claimed, new URL(s1.url).host)).toMatchObject({
      status: 401,
      body: { code: ErrorCodes.UNAUTHORIZED },
    })
    // Made for S2, it signs in.
    await expect(new ServerConnection({ url: s2.url, tenant, key }).db('notes', 'head', {})).resolves.toMatchObject({
      count: 0,
    })
  })

  it('refuses a registration made for another server, so a key S2 revoked stays revoked', async () => {
    const tenant = 'identity-registration'
    const admin = generateSigningKeyPair()
    const key = generateSigningKeyPair()
    // S2: the key is added, then revoked.
    await registerMembers({ url: s2.url, tenant, admin, seq: 1, add: [key.publicKey] })
    await registerMembers({ url: s2.url, tenant, admin, seq: 2, revoke: [key.publicKey] })
    // S1: the admin adds it later, with a higher seq. S1 keeps that signed registration…
    const forS1 = createRegistration({ server: s1.serverId, tenant, seq: 3, add: [key.publicKey] }, admin)
    expect((await post(`${s1.url}/v1/t/${tenant}/register`, { registration: forS1 })).status).toBe(200)
    // …and replays it on S2: refused, and the key still cannot sign in there.
    expect(await post(`${s2.url}/v1/t/${tenant}/register`, { registration: forS1 })).toMatchObject({
      status: 403,
      body: { code: ErrorCodes.FORBIDDEN },
    })
    expect(await codeOf(new ServerConnection({ url: s2.url, tenant, key }).token())).toBe(ErrorCodes.FORBIDDEN)
    // Naming S2 without being signed for it does not help either.
    const renamed: SignedRegistration = { ...forS1, server: s2.serverId }
    expect(await post(`${s2.url}/v1/t/${tenant}/register`, { registration: renamed })).toMatchObject({
      status: 403,
      body: { code: ErrorCodes.FORBIDDEN },
    })
    // While on S1 the key is a member.
    await expect(new ServerConnection({ url: s1.url, tenant, key }).token()).resolves.toEqual(expect.any(String))
  })

  it('lets a client pin the identity it expects, and refuses a server that names another', async () => {
    const tenant = 'identity-pinned'
    const admin: SigningKeyPair = generateSigningKeyPair()
    await registerMembers({ url: s2.url, tenant, admin, seq: 1 })
    const pinnedToS1 = new ServerConnection({ url: s2.url, tenant, key: admin, serverId: s1.serverId })
    expect(await codeOf(pinnedToS1.token())).toBe(ErrorCodes.UNAUTHORIZED)
    expect(await codeOf(registerMembers({ url: s2.url, tenant, admin, seq: 2, serverId: s1.serverId }))).toBe(
      ErrorCodes.UNAUTHORIZED,
    )
    await expect(
      new ServerConnection({ url: s2.url, tenant, key: admin, serverId: s2.serverId }).token(),
    ).resolves.toEqual(expect.any(String))
  })
})

describe('server identity across restarts', () => {
  const dirs: string[] = []
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

  it('is the same after a restart on the same LevelDB folder, and another on another folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-identity-'))
    const other = mkdtempSync(join(tmpdir(), 'weft-identity-'))
    dirs.push(dir, other)
    const first = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path: dir }) })
    const id = first.serverId
    // A member registered before the restart signs in after it: registrations stay valid.
    const tenant = 'restarted'
    const key = generateSigningKeyPair()
    await registerMembers({ url: first.url, tenant, admin: generateSigningKeyPair(), seq: 1, add: [key.publicKey] })
    await first.close()
    const again = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path: dir }) })
    expect(again.serverId).toBe(id)
    expect(((await (await fetch(`${again.url}/v1/identity`)).json()) as { serverId: string }).serverId).toBe(id)
    await expect(
      new ServerConnection({ url: again.url, tenant, key, serverId: id }).db('notes', 'head', {}),
    ).resolves.toMatchObject({ count: 0 })
    await again.close()
    const elsewhere = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path: other }) })
    expect(elsewhere.serverId).not.toBe(id)
    await elsewhere.close()
  })
})
