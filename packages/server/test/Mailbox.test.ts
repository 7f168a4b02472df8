import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  ErrorCodes,
  fromBase64Url,
  generateSigningKeyPair,
  MemoryKeyValueStore,
  packValue,
  ready,
  toBase64Url,
  type KeyValueStore,
} from '@weft/core/backend'
import { MAIL_LIMITS } from '@weft/protocol'
import { Mailbox, type MailQuota } from '../src/Mailbox.ts'

beforeAll(ready)

const T = 'acme'
const roomy: MailQuota = { maxMailMessagesPerTenant: 1_000, maxMailBytesPerTenant: 1 << 20 }
const key = () => toBase64Url(generateSigningKeyPair().publicKey)
const body = (n: number, size = 1) => new Uint8Array(size).fill(n & 255)

/** The same key-value store, counting how often the whole of a prefix is listed. */
class CountingKv implements KeyValueStore {
  readonly inner = new MemoryKeyValueStore()
  listings = 0
  get = (k: string) => this.inner.get(k)
  put = (k: string, v: Uint8Array) => this.inner.put(k, v)
  delete = (k: string) => this.inner.delete(k)
  keys = (prefix?: string) => {
    this.listings++
    return this.inner.keys(prefix)
  }
  close = () => this.inner.close()
}

async function seqsOf(box: Mailbox, tenant = T): Promise<number[]> {
  return (await box.list(tenant, 0, MAIL_LIMITS.maxList)).messages.map((m) => m.seq)
}

describe('Mailbox quota', () => {
  it('counts messages and body bytes, and refuses past either limit without storing anything', async () => {
    const box = new Mailbox(new MemoryKeyValueStore())
    const a = key()
    const quota = { maxMailMessagesPerTenant: 3, maxMailBytesPerTenant: 100 }
    await box.put(T, a, { body: body(1, 40) }, quota)
    await box.put(T, a, { body: body(2, 40) }, quota)
    expect(await box.usage(T)).toEqual({ messages: 2, bytes: 80 })
    await expect(box.put(T, a, { body: body(3, 21) }, quota)).rejects.toMatchObject({ code: ErrorCodes.QUOTA_EXCEEDED })
    await box.put(T, a, { body: body(3, 20) }, quota)
    await expect(box.put(T, a, { body: body(4, 0) }, quota)).rejects.toMatchObject({ code: ErrorCodes.QUOTA_EXCEEDED })
    expect(await box.usage(T)).toEqual({ messages: 3, bytes: 100 })
    expect(await box.usage('other')).toEqual({ messages: 0, bytes: 0 })
  })

  it('refuses malformed puts with typed codes', async () => {
    const box = new Mailbox(new MemoryKeyValueStore())
    const a = key()
    await expect(box.put(T, a, { body: 'x' }, roomy)).rejects.toMatchObject({ code: ErrorCodes.PROTOCOL })
    await expect(box.put(T, a, { body: body(0, MAIL_LIMITS.maxMessageBytes + 1) }, roomy)).rejects.toMatchObject({
      code: ErrorCodes.PAYLOAD_TOO_LARGE,
    })
    await expect(box.put(T, a, { body: body(0), to: new Uint8Array(31) }, roomy)).rejects.toMatchObject({
      code: ErrorCodes.PROTOCOL,
    })
    await expect(
      box.put(T, a, { body: body(0), topic: 'x'.repeat(MAIL_LIMITS.maxTopicLength + 1) }, roomy),
    ).rejects.toMatchObject({ code: ErrorCodes.PROTOCOL })
    await expect(box.put(T, a, { body: body(0), set: 1 }, roomy)).rejects.toMatchObject({ code: ErrorCodes.PROTOCOL })
    await expect(box.delete(T, a, { seqs: Array(MAIL_LIMITS.maxDelete + 1).fill(1) })).rejects.toMatchObject({
      code: ErrorCodes.PROTOCOL,
    })
  })
})

describe('Mailbox supersession', () => {
  it("keeps only the newest message of a sender's topic, so a full mailbox still takes a newer one", async () => {
    const box = new Mailbox(new MemoryKeyValueStore())
    const issuer = key()
    const quota = { maxMailMessagesPerTenant: 2, maxMailBytesPerTenant: 1 << 20 }
    for (let i = 0; i < 50; i++) await box.put(T, issuer, { body: body(i), topic: 'keys:g1' }, quota)
    await box.put(T, issuer, { body: body(99), topic: 'keys:g2' }, quota)
    const held = (await box.list(T, 0, 10)).messages
    expect(held.map((m) => [m.seq, m.body[0], m.topic])).toEqual([
      [50, 49, 'keys:g1'],
      [51, 99, 'keys:g2'],
    ])
    expect(await box.usage(T)).toEqual({ messages: 2, bytes: 2 })
    // Untagged messages are not superseded: the mailbox is full for them.
    await expect(box.put(T, issuer, { body: body(0) }, quota)).rejects.toMatchObject({
      code: ErrorCodes.QUOTA_EXCEEDED,
    })
  })

  it("keeps the newest set of a multi-part topic whole, drops a set older than the one held, and never touches another sender's topic", async () => {
    const box = new Mailbox(new MemoryKeyValueStore())
    const [issuer, other] = [key(), key()]
    await box.put(T, other, { body: body(7), topic: 'roster:g' }, roomy)
    for (const part of [0, 1, 2]) await box.put(T, issuer, { body: body(part), topic: 'roster:g', set: 10 }, roomy)
    for (const part of [0, 1]) await box.put(T, issuer, { body: body(10 + part), topic: 'roster:g', set: 20 }, roomy)
    expect(await box.put(T, issuer, { body: body(5), topic: 'roster:g', set: 15 }, roomy)).toEqual({
      seq: 0,
      kept: false,
    })
    const held = (await box.list(T, 0, 10)).messages
    expect(held.map((m) => m.body[0])).toEqual([7, 10, 11])
  })

  it('property: whatever the order of puts, per sender and topic only the highest set is held, and every untagged message', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            sender: fc.integer({ min: 0, max: 1 }),
            topic: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
            set: fc.integer({ min: 0, max: 5 }),
          }),
          { maxLength: 30 },
        ),
        async (puts) => {
          const box = new Mailbox(new MemoryKeyValueStore())
          const senders = [key(), key()]
          const expected: number[] = []
          const best = new Map<string, number>()
          for (const p of puts)
            if (p.topic) best.set(`${p.sender}/${p.topic}`, Math.max(best.get(`${p.sender}/${p.topic}`) ?? -1, p.set))
          let i = 0
          for (const p of puts) {
            i++
            const r = await box.put(
              T,
              senders[p.sender]!,
              { body: body(i), ...(p.topic ? { topic: p.topic, set: p.set } : {}) },
              roomy,
            )
            if (!p.topic || p.set === best.get(`${p.sender}/${p.topic}`)) expected.push(i)
            if (r.kept === false) expect(p.topic && p.set < best.get(`${p.sender}/${p.topic}`)!).toBeTruthy()
          }
          const held = (await box.list(T, 0, 100)).messages.map((m) => m.body[0])
          // A message of the best set that arrived before a lower set is still held; one after it too.
          expect(held).toEqual(
            expected.filter((n) => {
              const p = puts[n - 1]!
              return !p.topic || p.set === best.get(`${p.sender}/${p.topic}`)
            }),
          )
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('Mailbox delete', () => {
  it('deletes what the caller posted or what is addressed to it, and refuses the whole request for anything else', async () => {
    const box = new Mailbox(new MemoryKeyValueStore())
    const [issuer, partner, stranger] = [generateSigningKeyPair(), generateSigningKeyPair(), generateSigningKeyPair()]
    const [i, p, s] = [issuer, partner, stranger].map((k) => toBase64Url(k.publicKey)) as [string, string, string]
    const toPartner = await box.put(T, i, { body: body(1), to: partner.publicKey }, roomy)
    const own = await box.put(T, i, { body: body(2) }, roomy)
    const bySelf = await box.put(T, p, { body: body(3) }, roomy)
    await expect(box.delete(T, s, { seqs: [toPartner.seq] })).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    await expect(box.delete(T, p, { seqs: [toPartner.seq, own.seq] })).rejects.toMatchObject({
      code: ErrorCodes.FORBIDDEN,
    })
    expect(await seqsOf(box)).toEqual([1, 2, 3]) // nothing of a refused request was deleted
    expect(await box.delete(T, p, { seqs: [toPartner.seq, bySelf.seq, 999] })).toEqual({ deleted: 2 })
    expect(await box.delete(T, p, { seqs: [toPartner.seq] })).toEqual({ deleted: 0 }) // an acknowledgement may be repeated
    // Another tenant's mailbox does not hold the number at all.
    expect(await box.delete('other', i, { seqs: [own.seq] })).toEqual({ deleted: 0 })
    expect(await seqsOf(box)).toEqual([2])
    expect(await box.delete(T, i, { seqs: [own.seq] })).toEqual({ deleted: 1 })
    expect(await box.usage(T)).toEqual({ messages: 0, bytes: 0 })
  })
})

describe('Mailbox storage', () => {
  it('never reuses a number, even after every message was deleted and the server restarted', async () => {
    const kv = new MemoryKeyValueStore()
    const a = key()
    const first = new Mailbox(kv)
    for (let i = 0; i < 3; i++) await first.put(T, a, { body: body(i) }, roomy)
    await first.delete(T, a, { seqs: [1, 2, 3] })
    const again = new Mailbox(kv)
    expect((await again.put(T, a, { body: body(9) }, roomy)).seq).toBe(4)
    expect((await again.list(T, 3, 10)).messages.map((m) => m.seq)).toEqual([4])
  })

  it("reads a tenant's keys once, then lists from `after` without listing the mailbox again", async () => {
    const kv = new CountingKv()
    const box = new Mailbox(kv)
    const a = key()
    for (let i = 0; i < 250; i++) await box.put(T, a, { body: body(i) }, roomy)
    const listed = kv.listings
    const page = await box.list(T, 200, 10)
    expect(page.messages.map((m) => m.seq)).toEqual([201, 202, 203, 204, 205, 206, 207, 208, 209, 210])
    expect(page.more).toBe(true)
    expect((await box.list(T, 245, 10)).messages.map((m) => m.seq)).toEqual([246, 247, 248, 249, 250])
    expect(kv.listings).toBe(listed)
  })

  it("keeps a bounded number of tenants' indexes in memory, and reads a dropped one again as it was", async () => {
    const box = new Mailbox(new MemoryKeyValueStore())
    const a = key()
    await box.put('t-0', a, { body: body(1, 10), topic: 'k' }, roomy)
    await box.put('t-0', a, { body: body(2, 10), topic: 'k' }, roomy)
    for (let i = 1; i <= 1_050; i++) await box.put(`t-${i}`, a, { body: body(i) }, roomy)
    expect(box.openIndexes).toBeLessThanOrEqual(1_000)
    expect(await box.usage('t-0')).toEqual({ messages: 1, bytes: 10 })
    // The reloaded index knows the topic and the last number.
    expect(await box.put('t-0', a, { body: body(3, 10), topic: 'k' }, roomy)).toEqual({ seq: 3 })
    expect((await box.list('t-0', 0, 10)).messages.map((m) => [m.seq, m.body[0]])).toEqual([[3, 3]])
  })

  it('restarts with the same counts, and drops the older set a supersession left when the server stopped', async () => {
    const kv = new MemoryKeyValueStore()
    const a = key()
    const box = new Mailbox(kv)
    await box.put(T, a, { body: body(1, 10), topic: 't', set: 1 }, roomy)
    await box.put(T, a, { body: body(2, 10) }, roomy)
    // The server stopped after writing a newer set's message, before its index entry and before
    // it deleted the older set.
    await kv.put('mail/acme/000000000003', packValue({ from: fromBase64Url(a), body: body(3, 10), topic: 't', set: 2 }))
    const restarted = new Mailbox(kv)
    expect(await restarted.usage(T)).toEqual({ messages: 2, bytes: 20 })
    expect((await restarted.list(T, 0, 10)).messages.map((m) => m.body[0])).toEqual([2, 3])
  })
})
