import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready } from '@weft/core'
import { ServerConnection } from '@weft/client'
import { decodeAnswer, encodeBody, MAX_ANSWER_BYTES, PROTOCOL_VERSION } from '@weft/protocol'

// The client does not trust its server with its memory either: a hostile or broken server's
// answers are bounded in bytes (declared or streamed) and in what decoding them may cost, so a
// small answer cannot make a client allocate gigabytes.

/** 8 MiB of empty MessagePack maps in one array: about 1 GB of objects once decoded. */
function emptyMaps(count = 8 * 1024 * 1024): Uint8Array {
  const b = new Uint8Array(5 + count).fill(0x80)
  b[0] = 0xdd
  new DataView(b.buffer).setUint32(1, count)
  return b
}

type Answer = (res: ServerResponse) => void
let answer: Answer
let server: Server
let url: string

beforeAll(async () => {
  await ready()
  server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v1/identity') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ serverId: 'hostile', protocol: PROTOCOL_VERSION }))
      return
    }
    req.resume()
    req.on('end', () => answer(res))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

const signIn = () => new ServerConnection({ url, tenant: 'acme', key: generateSigningKeyPair() }).token()

describe('a hostile server', () => {
  it('cannot make the client decode a small answer into gigabytes', async () => {
    answer = (res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(emptyMaps())
    const before = process.memoryUsage().heapUsed
    await expect(signIn()).rejects.toMatchObject({ code: ErrorCodes.PAYLOAD_TOO_LARGE })
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(256 * 1024 * 1024)
  })

  it('cannot make the client hold an answer larger than any the protocol sends, declared or streamed', async () => {
    answer = (res) => {
      res.writeHead(200, { 'content-length': String(MAX_ANSWER_BYTES + 1) })
      res.write(new Uint8Array(1024))
      setTimeout(() => res.destroy(), 50)
    }
    await expect(signIn()).rejects.toMatchObject({ code: ErrorCodes.PAYLOAD_TOO_LARGE })

    const chunk = new Uint8Array(4 * 1024 * 1024)
    answer = (res) => {
      res.writeHead(200) // chunked: no declared length
      let sent = 0
      const more = () => {
        while (sent <= MAX_ANSWER_BYTES + chunk.length && res.write(chunk)) sent += chunk.length
        if (sent > MAX_ANSWER_BYTES + chunk.length) res.end()
        else res.once('drain', more)
      }
      more()
      res.on('error', () => {})
    }
    await expect(signIn()).rejects.toMatchObject({ code: ErrorCodes.PAYLOAD_TOO_LARGE })
  })

  it('answers of the sizes the protocol sends still decode', () => {
    const bytes = (i: number) => new Uint8Array(1024 * 1024).fill(i)
    const page = { entries: Array.from({ length: 8 }, (_, i) => ({ hash: 'ab'.repeat(32), bytes: bytes(i) })), next: 8 }
    expect(decodeAnswer<typeof page>(encodeBody(page)).entries).toHaveLength(8)
    const held = { held: Array.from({ length: 10_000 }, (_, i) => i % 2 === 0) }
    expect(decodeAnswer<typeof held>(encodeBody(held)).held).toHaveLength(10_000)
  })
})
