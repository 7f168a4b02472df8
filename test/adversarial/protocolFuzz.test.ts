import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import {
  generateSigningKeyPair,
  packHashes,
  ready,
  RECONCILE_VERSION,
  toHex,
  type EntryEnvelope,
} from '@weft/core/backend'
import {
  createRegistration,
  DB_OPS,
  decodeBody,
  encodeBody,
  MAIL_OPS,
  TENANT_OPS,
  type ServerSocketMessage,
} from '@weft/protocol'
import { loneTenant } from '../helpers/tenants.ts'
import { healthLatency, startChildServer, type ChildServer } from './helpers/childServer.ts'
import { rawRequest, signedInMember } from './helpers/rawRequest.ts'

// Issue 10: a protocol fuzzer. For every HTTP operation (database, tenant and mailbox operations)
// and for socket messages, fast-check makes malformed, oversized, deeply nested and mutated-valid
// messages and sends them to a live server (a child process). Every answer must be a success or a
// typed refusal — a 4xx (or 507) with a JSON body carrying a WEFT_* code — never a 500 and never a
// hang; afterwards the server is alive, healthy, and has logged no failure.
//
// A long run: WEFT_FUZZ_RUNS=20000 WEFT_FUZZ_SEED=1234 npx vitest run test/adversarial/protocolFuzz.test.ts
// (the seed of a failing run is printed by fast-check; pass it back to replay it).

const SEED = process.env.WEFT_FUZZ_SEED ? Number(process.env.WEFT_FUZZ_SEED) : Date.now() % 2 ** 31
const RUNS = Number(process.env.WEFT_FUZZ_RUNS ?? 400)
/** An answer slower than this is a hang. */
const ANSWER_MS = 10_000
/** Time for one test: generous per run, so a long run needs no flag. */
const TEST_MS = 60_000 + RUNS * 20

beforeAll(ready)

/** Any value MessagePack carries, a few levels deep. */
const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.constantFrom(-1, 0, 2 ** 53, -(2 ** 63), 2 ** 64),
    fc.string({ maxLength: 40 }),
    fc.uint8Array({ maxLength: 100 }),
    fc.array(tie('v'), { maxLength: 6 }),
    fc.dictionary(fc.string({ maxLength: 10 }), tie('v'), { maxKeys: 6 }),
  ),
})).v

/** Bytes that are not a well-formed message: deep nesting, lengths declared past the end, extension types, noise. */
const hostileBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.integer({ min: 1, max: 50_000 }).map((n) => new Uint8Array(n).fill(0x91)),
  fc.integer({ min: 1, max: 50_000 }).map((n) => new Uint8Array(n).fill(0x81 + 0)),
  fc
    .constantFrom(0xdc, 0xdd, 0xde, 0xdf, 0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb, 0xc7, 0xd4)
    .map((b) => new Uint8Array([b, 0xff, 0xff, 0xff, 0xff, 0x01])),
  fc.integer({ min: 1, max: 100_000 }).map((n) => {
    const out = new Uint8Array(5 + n).fill(0x80)
    out.set([0xdd, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff])
    return out
  }),
)

/** What a body may become: the valid one, one field changed or dropped, junk added, or its bytes damaged. */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<Uint8Array> {
  const keys = Object.keys(valid)
  const asValue = fc
    .oneof(
      fc.constant(valid),
      keys.length
        ? fc.tuple(fc.constantFrom(...keys), anyValue).map(([k, v]) => ({ ...valid, [k]: v }))
        : fc.constant(valid),
      keys.length
        ? fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(valid).filter(([x]) => x !== k)))
        : fc.constant({}),
      fc.tuple(fc.string({ maxLength: 8 }), anyValue).map(([k, v]) => ({ ...valid, [k]: v })),
      anyValue,
    )
    .map((v) => encodeBody(v))
  const damaged = fc
    .tuple(
      fc.constant(encodeBody(valid)),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
    )
    .map(([bytes, flips, cut]) => {
      const out = Uint8Array.from(bytes)
      for (const [at, b] of flips) out[at % out.length] = b
      return cut % 3 === 0 ? out.subarray(0, cut % (out.length + 1)) : out
    })
  return fc.oneof(
    { arbitrary: asValue, weight: 3 },
    { arbitrary: damaged, weight: 2 },
    { arbitrary: hostileBytes, weight: 1 },
  )
}

/** Is this answer a success or a typed refusal? */
function typedOrOk(a: { status: number; code?: string }): boolean {
  if (a.status === 200) return true
  return (
    ((a.status >= 400 && a.status < 500) || a.status === 507) &&
    typeof a.code === 'string' &&
    a.code.startsWith('WEFT_')
  )
}

describe('protocol fuzzer', () => {
  let server: ChildServer
  let token: string
  let serverId: string
  const tenant = 'fuzzed'
  let entries: EntryEnvelope[] = []
  beforeAll(async () => {
    server = await startChildServer({ limits: { requestsPerSecond: 1_000_000, burst: 1_000_000 } }, 256)
    token = (await signedInMember(server.url, tenant)).token
    serverId = ((await (await fetch(`${server.url}/v1/identity`)).json()) as { serverId: string }).serverId
    // Real entries, for pushes to mutate.
    const { tenant: t } = await loneTenant('fuzz-source')
    const db = await t.openDB('notes')
    for (let i = 0; i < 3; i++) await db.createDocument({ data: { i } })
    const store = db.getStore()
    entries = await store.getChanges(await store.getAllChangeHashes())
    console.log(`protocol fuzzer: WEFT_FUZZ_SEED=${SEED} WEFT_FUZZ_RUNS=${RUNS}`)
  })
  afterAll(() => server.kill())

  /** A valid body for each operation, to mutate. */
  function validBodies(): Record<string, Record<string, unknown>> {
    const hashes = packHashes(entries.map((e) => e.hash))
    const cursor = { epoch: 'e'.repeat(16), seq: 3, at: 'abcd' }
    const admin = generateSigningKeyPair()
    return {
      push: { entries: entries.map((e) => ({ hash: e.hash, bytes: e.bytes })) },
      has: { hashes },
      get: { hashes },
      scan: { since: cursor, limit: 10 },
      head: {},
      fingerprint: { range: { lower: '', upper: null } },
      range: { range: { lower: '00', upper: 'ff' }, limit: 5 },
      reconcile: {
        message: { v: RECONCILE_VERSION, items: [{ t: 'fingerprint', p: '', n: 3, fp: new Uint8Array(16) }] },
      },
      'doc-hashes': { docId: toHex(new Uint8Array(16)) },
      order: { hashes, since: null },
      register: {
        registration: createRegistration(
          { server: serverId, tenant: `fuzz-reg-${Math.random()}`, seq: 1, add: [generateSigningKeyPair().publicKey] },
          admin,
        ),
      },
      challenge: { publicKey: admin.publicKey },
      session: {
        publicKey: admin.publicKey,
        challenge: new Uint8Array(32),
        server: server.url,
        serverId,
        signature: new Uint8Array(64),
      },
      usage: {},
      'mail/put': { body: new Uint8Array(10), topic: 'keys:x', set: 1 },
      'mail/list': { after: 0, limit: 10 },
      'mail/delete': { seqs: [1, 2] },
    }
  }

  const routes = [
    ...DB_OPS.map((op) => ({ name: op, path: `/v1/t/${tenant}/db/notes/${op}` })),
    ...TENANT_OPS.map((op) => ({ name: op, path: `/v1/t/${tenant}/${op}` })),
    ...MAIL_OPS.map((op) => ({ name: `mail/${op}`, path: `/v1/t/${tenant}/mail/${op}` })),
  ]

  it(
    'answers every malformed, oversized, nested or mutated request with success or a typed 4xx, promptly',
    async () => {
      const valid = validBodies()
      const request = fc
        .constantFrom(...routes)
        .chain((route) =>
          fc.tuple(
            fc.constant(route),
            mutated(valid[route.name] ?? {}),
            fc.boolean(),
            fc.constantFrom('', '/v1/health-ish'),
          ),
        )
      await fc.assert(
        fc.asyncProperty(request, async ([route, body, signed, suffix]) => {
          const a = await rawRequest(`${server.url}${route.path}${suffix}`, {
            body,
            timeoutMs: ANSWER_MS,
            headers: signed ? { authorization: `Bearer ${token}` } : {},
          })
          expect(a.status, `${route.name} (${a.ms.toFixed(0)} ms)`).not.toBe(0)
          expect(typedOrOk(a), `${route.name}: ${JSON.stringify(a)}`).toBe(true)
        }),
        { seed: SEED, numRuns: RUNS },
      )
      expect(server.alive(), server.stderr()).toBe(true)
      expect(await healthLatency(server.url)).toBeLessThan(1_000)
      expect(server.stderr()).not.toMatch(/request failed/)
    },
    TEST_MS,
  )

  it(
    'answers every malformed socket message with a typed error on the same socket, and keeps serving it',
    async () => {
      const ws = new WebSocket(
        `${server.url.replace(/^http/, 'ws')}/v1/t/${tenant}/ws?token=${encodeURIComponent(token)}`,
      )
      const got: ServerSocketMessage[] = []
      let closed: number | undefined
      ws.on('message', (data: Buffer) =>
        got.push(decodeBody<ServerSocketMessage>(new Uint8Array(data), Number.MAX_SAFE_INTEGER)),
      )
      ws.on('close', (code) => (closed = code))
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve())
        ws.once('error', reject)
      })
      const valid = { type: 'subscribe', db: 'notes', since: { epoch: 'x', seq: 0 } }
      const message = fc
        .oneof(
          mutated(valid),
          mutated({ type: 'unsubscribe', db: 'notes' }),
          fc.uint8Array({ minLength: 30_000, maxLength: 60_000 }),
        )
        .map((b) => b.subarray(0, 60_000))
      await fc.assert(
        fc.asyncProperty(message, fc.boolean(), async (bytes, asText) => {
          // (A frame past the server's 64 KiB limit is the WebSocket's own refusal, close code 1009.)
          const text = asText && bytes.length < 20_000
          ws.send(text ? Buffer.from(bytes).toString('latin1') : bytes, { binary: !text })
        }),
        { seed: SEED, numRuns: Math.max(50, Math.floor(RUNS / 2)) },
      )
      // A last subscription to a database no fuzz message named: its first page ends the run.
      ws.send(encodeBody({ type: 'subscribe', db: 'fuzz-sentinel', since: null }))
      const deadline = Date.now() + ANSWER_MS
      while (
        !got.some((m) => m.type === 'entries' && m.db === 'fuzz-sentinel') &&
        Date.now() < deadline &&
        closed === undefined
      ) {
        await new Promise((r) => setTimeout(r, 20))
      }
      expect(closed).toBeUndefined()
      expect(got.some((m) => m.type === 'entries' && m.db === 'fuzz-sentinel')).toBe(true)
      for (const m of got) if (m.type === 'error') expect(m.code).toMatch(/^WEFT_/)
      ws.close()
      expect(server.alive(), server.stderr()).toBe(true)
      expect(await healthLatency(server.url)).toBeLessThan(1_000)
    },
    TEST_MS,
  )
})
