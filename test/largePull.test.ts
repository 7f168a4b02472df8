// A device copying 64 MiB of large entries from a real server holds bounded batches: the copy runs in
// a child process of its own (see helpers/largePull.ts) so its memory is measured alone, with the
// server here, in this process.

import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKeyPair, ready, toHex, type SigningKeyPair } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'
import { runChildJson } from './helpers/runChild.ts'

const script = fileURLToPath(new URL('./helpers/largePull.ts', import.meta.url))
const MiB = 1024 * 1024
const ENTRIES = 1_024
const ENTRY_PAYLOAD = 64 * 1024
/** The server's cap on one answer, and the copy's on one batch. */
const RESPONSE_BYTES = 1 * MiB
const BATCH_BYTES = 4 * MiB

interface Pulled {
  entries: number
  bytes: number
  rejected: number
  appends: number
  peakHeld: number
  stored: number
}

let server: WeftServer
let key: SigningKeyPair

beforeAll(async () => {
  await ready()
  key = generateSigningKeyPair()
  server = await WeftServer.start({
    authors: 'any',
    limits: { maxResponseBytes: RESPONSE_BYTES },
  })
  await registerMembers({ url: server.url, tenant: 'large-pull', admin: key, seq: 1 })
  const remote = new RemoteChangeStore({
    connection: new ServerConnection({ url: server.url, tenant: 'large-pull', key }),
    db: 'db',
  })
  // 64 MiB in entries of 64 KiB (the size of an average attachment chunk).
  const f = new EntryFactory(16)
  for (let i = 0; i < ENTRIES; i += 32) {
    const batch = Array.from({ length: 32 }, (_, j) => envelope(f.entry(i + j, [], ENTRY_PAYLOAD)))
    expect((await remote.appendMany(batch)).added).toHaveLength(32)
  }
  await remote.close()
}, 120_000)
afterAll(async () => {
  await server?.close()
})

function pull(): Promise<Pulled> {
  return runChildJson<Pulled>(script, {
    WEFT_URL: server.url,
    WEFT_TENANT: 'large-pull',
    WEFT_KEY: `${toHex(key.publicKey)}:${toHex(key.privateKey)}`,
    WEFT_BATCH_BYTES: String(BATCH_BYTES),
  })
}

describe('a copy of 64 MiB of large entries from a server', () => {
  it('stores every entry while holding about two batches, not the whole difference', async () => {
    const m = await pull()
    expect(m.rejected).toBe(0)
    expect(m.entries).toBe(ENTRIES)
    expect(m.stored).toBe(ENTRIES)
    expect(m.bytes).toBeGreaterThan(ENTRIES * ENTRY_PAYLOAD)
    // 64 MiB in batches of about 4 MiB (each within one 1 MiB answer of the cap).
    expect(m.appends).toBeGreaterThanOrEqual(Math.floor(m.bytes / (BATCH_BYTES + RESPONSE_BYTES)))
    // A batch being appended and the next read ahead: 2 x (4 + 1) MiB, with room for the
    // connection's buffers. The whole difference read as one batch would hold 64 MiB and more.
    expect(m.peakHeld).toBeLessThan(20 * MiB)
  }, 240_000)
})
