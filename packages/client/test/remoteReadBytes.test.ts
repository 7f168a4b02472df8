// Reads from a server stop near a byte cap, so a copy of large entries from a server holds bounded
// batches: `getChangesChecked` with `maxBytes` answers a first part of the hashes and says how many,
// and a copy cuts its batches there, deciding every entry as a copy of those batches one at a time.

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  copyEntries,
  generateSigningKeyPair,
  MemoryChangeStore,
  ready,
  type ChangeHash,
  type EntryEnvelope,
} from '@weft/core/backend'
import { AppendRecorder, EntryFactory, envelope, withBadSignature } from '@weft/core/testing'
import { WeftServer } from '@weft/server'
import { ErrorCodes } from '@weft/core'
import { registerMembers, RemoteChangeStore, ServerConnection } from '../src/index.ts'

const KiB = 1024
/** The server's cap on one answer: small, so reads of a few large entries take several requests. */
const RESPONSE_BYTES = 128 * KiB

let server: WeftServer
let remote: RemoteChangeStore

beforeAll(async () => {
  await ready()
  const key = generateSigningKeyPair()
  server = await WeftServer.start({ authors: 'any', limits: { maxResponseBytes: RESPONSE_BYTES } })
  await registerMembers({ url: server.url, tenant: 'capped', admin: key, seq: 1 })
  remote = new RemoteChangeStore({
    connection: new ServerConnection({ url: server.url, tenant: 'capped', key }),
    db: 'db',
  })
})
afterAll(async () => {
  await remote?.close()
  await server?.close()
})

const bytesOf = (entries: readonly EntryEnvelope[]): number => entries.reduce((n, e) => n + e.bytes.length, 0)

describe('reading large entries from a server under a byte cap', () => {
  let hashes: ChangeHash[]
  let total: number

  beforeAll(async () => {
    // Small entries, then 40 of 40 KiB (an attachment's chunks), then small ones: about 1.6 MB.
    const f = new EntryFactory(4)
    const sizes = [...Array(30).fill(32), ...Array(40).fill(40 * KiB), ...Array(30).fill(32)]
    const entries = sizes.map((size, i) => envelope(f.entry(i, [], size)))
    for (let i = 0; i < entries.length; i += 10) await remote.appendMany(entries.slice(i, i + 10))
    hashes = entries.map((e) => e.hash)
    total = bytesOf(entries)
  })

  it('answers a first part of the hashes, within one answer of the cap, and the parts cover them all in order', async () => {
    const maxBytes = 256 * KiB
    const seen: ChangeHash[] = []
    let reads = 0
    for (let from = 0; from < hashes.length; reads++) {
      const read = await remote.getChangesChecked(hashes.slice(from), { maxBytes })
      const taken = read.taken ?? hashes.length - from
      expect(taken).toBeGreaterThan(0)
      expect(read.rejected).toEqual([])
      expect(read.entries.map((e) => e.hash)).toEqual(hashes.slice(from, from + taken))
      expect(bytesOf(read.entries)).toBeLessThanOrEqual(maxBytes + RESPONSE_BYTES)
      seen.push(...read.entries.map((e) => e.hash))
      from += taken
    }
    expect(seen).toEqual(hashes)
    expect(reads).toBeGreaterThanOrEqual(Math.floor(total / (maxBytes + RESPONSE_BYTES)))
    // Without a cap, one read answers them all.
    const whole = await remote.getChangesChecked(hashes)
    expect(whole.taken).toBeUndefined()
    expect(whole.entries).toHaveLength(hashes.length)
  })

  it('a copy from the server appends batches within the cap and one answer, and copies everything', async () => {
    const maxBatchBytes = 256 * KiB
    const target = new AppendRecorder()
    const copied = await copyEntries(remote, target, hashes, 2_000, { maxBatchBytes })
    expect(copied.added).toHaveLength(hashes.length)
    expect(copied.bytes).toBe(total)
    for (const bytes of target.appends) expect(bytes).toBeLessThanOrEqual(maxBatchBytes + RESPONSE_BYTES)
    expect(target.appends.length).toBeGreaterThanOrEqual(Math.floor(total / (maxBatchBytes + RESPONSE_BYTES)))
  })

  it('decides every vouched entry as a copy of the same batches one at a time, whatever the cap (property)', async () => {
    // A chain by one author in which every other link is large and carries a bad signature,
    // vouched for by the next link: whether a copy takes one depends on where its batch ends.
    const x = new EntryFactory(1)
    const chain: EntryEnvelope[] = []
    let deps: ChangeHash[] = []
    for (let i = 0; i < 8; i++) {
      const e = i % 2 === 0 ? withBadSignature(x.entry(0, deps, 30 * KiB)) : envelope(x.entry(0, deps))
      chain.push(e)
      deps = [e.hash]
    }
    await remote.appendMany(chain)
    const order = chain.map((e) => e.hash)
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200 * KiB }), async (maxBatchBytes) => {
        // The reference: the batches the cap cuts, each copied on its own, one after another.
        const reference = new MemoryChangeStore()
        const taken: ChangeHash[] = []
        for (let i = 0; i < order.length;) {
          const cut = (await remote.getChangesChecked(order.slice(i), { maxBytes: maxBatchBytes })).taken
          const n = cut ?? order.length - i
          taken.push(...(await copyEntries(remote, reference, order.slice(i, i + n))).added)
          i += n
        }
        const copied = await copyEntries(remote, new MemoryChangeStore(), order, 2_000, { maxBatchBytes })
        expect(new Set(copied.added)).toEqual(new Set(taken))
        expect(copied.added.length + copied.rejected.length).toBe(order.length)
      }),
      { numRuns: 15 },
    )
  })
})

describe('a server answering a capped read with no progress', () => {
  it('fails the read with WEFT_PROTOCOL, never loops, whatever it says for how far it got', async () => {
    const real = server
    for (const next of [0, -1, 0.5, Number.NaN]) {
      /** The real connection, except that every `get` is answered with nothing and this `next`. */
      class Stalling extends ServerConnection {
        override db(...args: Parameters<ServerConnection['db']>): ReturnType<ServerConnection['db']> {
          if (args[1] === 'get') return Promise.resolve({ entries: [], next }) as ReturnType<ServerConnection['db']>
          return super.db(...args)
        }
      }
      const key = generateSigningKeyPair()
      const stalled = new RemoteChangeStore({
        connection: new Stalling({ url: real.url, tenant: 'capped', key }),
        db: 'db',
      })
      const hash = 'ab'.repeat(32) as ChangeHash
      await expect(stalled.getChangesChecked([hash], { maxBytes: 1 })).rejects.toMatchObject({
        code: ErrorCodes.PROTOCOL,
      })
      await stalled.close()
    }
  })
})
