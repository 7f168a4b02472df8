import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready, type SigningKeyPair } from '@weft/core'
import { registerMembers, ServerConnection } from '@weft/client'
import { decodeBody, encodeBody, MSGPACK_TYPE, serverOrigin, signChallenge, type Bodies } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { codeOf } from './helpers/http.ts'

// A member signs its sign-in challenge for the server it means to reach. A server the member also
// signs in to (another company's relay, say) could otherwise fetch a challenge from this server,
// have the member sign it, and sign in here as the member.

beforeAll(ready)

/** POSTs a MessagePack body with the given Host header (fetch does not let a caller set it). */
function post(url: string, body: unknown, host?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const bytes = encodeBody(body)
    const u = new URL(url)
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { 'content-type': MSGPACK_TYPE, 'content-length': bytes.length, ...(host ? { host } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const all = Buffer.concat(chunks)
          const parsed =
            res.statusCode === 200
              ? decodeBody<Record<string, unknown>>(new Uint8Array(all), 1 << 20)
              : JSON.parse(all.toString())
          resolve({ status: res.statusCode!, body: parsed })
        })
      },
    )
    req.on('error', reject)
    req.end(bytes)
  })
}

let n = 0
async function member(url: string): Promise<{ tenant: string; key: SigningKeyPair }> {
  const tenant = `signin-${process.pid}-${++n}`
  const key = generateSigningKeyPair()
  await registerMembers({ url, tenant, admin: generateSigningKeyPair(), seq: 1, add: [key.publicKey] })
  return { tenant, key }
}

/**
 * What a malicious server does with a member's key: asks `target` for a challenge in the member's
 * name, has the member sign it as a sign-in to `signedFor`, and presents it to `target`.
 */
async function relayedSignIn(
  target: string,
  tenant: string,
  key: SigningKeyPair,
  signedFor: string,
  claim = signedFor,
  host?: string,
) {
  const base = `${target}/v1/t/${tenant}`
  const { body } = await post(`${base}/challenge`, { publicKey: key.publicKey } satisfies Bodies['challenge']['req'])
  const challenge = body.challenge as Uint8Array
  const serverId = body.serverId as string
  const signature = signChallenge({ origin: signedFor, serverId }, tenant, challenge, key)
  return post(
    `${base}/session`,
    { publicKey: key.publicKey, challenge, server: claim, serverId, signature } satisfies Bodies['session']['req'],
    host,
  )
}

describe('sign-in bound to the server', () => {
  let strict: WeftServer
  let open: WeftServer
  beforeAll(async () => {
    // A free port first, then the server on it knowing its public URL.
    const probe = await WeftServer.start()
    const port = probe.port
    await probe.close()
    strict = await WeftServer.start({ port, publicUrls: [`http://127.0.0.1:${port}`] })
    open = await WeftServer.start()
  })
  afterAll(async () => {
    await strict.close()
    await open.close()
  })

  it('refuses a signature made for another server, whatever the request claims', async () => {
    const { tenant, key } = await member(strict.url)
    const evil = 'https://relay.evil.example'
    // Presented as what it is: signed for another server.
    expect(await relayedSignIn(strict.url, tenant, key, evil)).toMatchObject({
      status: 401,
      body: { code: ErrorCodes.UNAUTHORIZED },
    })
    // Claiming this server: the signature was not made over it.
    expect(await relayedSignIn(strict.url, tenant, key, evil, strict.url)).toMatchObject({
      status: 401,
      body: { code: ErrorCodes.UNAUTHORIZED },
    })
    // With a forged Host header too: publicUrls does not take the request's word.
    expect(await relayedSignIn(strict.url, tenant, key, evil, evil, 'relay.evil.example')).toMatchObject({
      status: 401,
    })
    // Made for this server, it signs in.
    const ok = await relayedSignIn(strict.url, tenant, key, serverOrigin(strict.url))
    expect(ok.status).toBe(200)
    expect(typeof ok.body.token).toBe('string')
    await expect(new ServerConnection({ url: strict.url, tenant, key }).db('notes', 'head', {})).resolves.toMatchObject(
      { count: 0 },
    )
  })

  it('refuses a sign-in that names no server, or one that is not a bare origin', async () => {
    const { tenant, key } = await member(strict.url)
    const base = `${strict.url}/v1/t/${tenant}`
    for (const server of [undefined, 42, `${strict.url}/`, `${strict.url}/v1`, 'HTTP://127.0.0.1:1']) {
      const { body } = await post(`${base}/challenge`, { publicKey: key.publicKey })
      const challenge = body.challenge as Uint8Array
      const serverId = body.serverId as string
      const signature = signChallenge({ origin: String(server), serverId }, tenant, challenge, key)
      const answer = await post(`${base}/session`, { publicKey: key.publicKey, challenge, server, serverId, signature })
      // A server that is not a string is malformed (400); one that is not this server's bare origin is refused (401).
      expect(answer, String(server)).toMatchObject({ status: typeof server === 'string' ? 401 : 400 })
    }
  })

  it('with publicUrls, refuses a client that reaches it under another name', async () => {
    const { tenant, key } = await member(strict.url)
    const other = new ServerConnection({ url: `http://localhost:${strict.port}`, tenant, key })
    expect(await codeOf(other.token())).toBe(ErrorCodes.UNAUTHORIZED)
  })

  it('without publicUrls, takes the name the request was sent to, and refuses another', async () => {
    const { tenant, key } = await member(open.url)
    for (const url of [open.url, `http://localhost:${open.port}`]) {
      await expect(new ServerConnection({ url, tenant, key }).db('notes', 'head', {}), url).resolves.toMatchObject({
        count: 0,
      })
    }
    expect(await relayedSignIn(open.url, tenant, key, 'https://relay.evil.example')).toMatchObject({ status: 401 })
    expect(await relayedSignIn(open.url, tenant, key, `http://127.0.0.1:${open.port + 1}`)).toMatchObject({
      status: 401,
    })
  })
})
