import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createMemberRecord,
  ErrorCodes,
  foldDirectory,
  generateSigningKeyPair,
  isWeftError,
  randomBytes,
  ready,
  toBase64Url,
  verifyMemberRecord,
  type DirectoryOp,
  type Role,
  type SigningKeyPair,
} from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'

// Whatever directory records reach the server — valid and forged, in any order and any batching —
// the devices it admits are exactly the ones `foldDirectory` admits from all of them.

let server: WeftServer
beforeAll(async () => {
  await ready()
  server = await WeftServer.start({
    limits: { requestsPerSecond: 100_000, burst: 100_000 },
    registration: { perAddress: { tenants: 10_000, windowMs: 60_000 } },
  })
})
afterAll(() => server.close())

type Standing = 'member' | 'reader' | 'revoked' | 'unknown'
const USERS = ['u0', 'u1', 'u2', 'u3']
const ROLES: Role[] = ['admin', 'writer', 'reader']

/** One record to make: its op, its signer (an index into the keys; 0 is the root) and lamport; `forge` flips a byte after signing. */
const command = fc.record({
  kind: fc.constantFrom('add', 'add', 'set-role', 'remove-device', 'remove-user'),
  device: fc.integer({ min: 1, max: 4 }),
  user: fc.integer({ min: 0, max: 3 }),
  role: fc.constantFrom(...ROLES),
  signer: fc.constantFrom(0, 0, 0, 1, 2, 3, 4, 5),
  lamport: fc.integer({ min: 1, max: 12 }),
  forge: fc.integer({ min: 0, max: 9 }).map((x) => x < 2),
})

let n = 0

describe('server directory admission', () => {
  it('admits exactly what foldDirectory gives on every record posted (fast-check)', async () => {
    const seen = new Set<Standing>()
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 24 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        async (commands, withGenesis, cuts, shuffle) => {
          const tenant = `prop-${process.pid}-${++n}`
          // Key 0 is the root (it registers the tenant); 1-4 are devices; 5 is a stranger.
          const keys: SigningKeyPair[] = Array.from({ length: 6 }, () => generateSigningKeyPair())
          await registerMembers({ url: server.url, tenant, admin: keys[0]!, seq: 1 })
          const record = (op: DirectoryOp, signer: number, lamport: number) =>
            createMemberRecord(op, { tenant, lamport, nonce: randomBytes(16) }, keys[signer]!)
          const box = () => randomBytes(32)
          const records: string[] = []
          if (withGenesis)
            records.push(
              record(
                { op: 'genesis', userId: 'u0', name: 'root', device: { key: keys[0]!.publicKey, box: box() } },
                0,
                0,
              ),
            )
          for (const c of commands) {
            const userId = USERS[c.user]!
            const op: DirectoryOp =
              c.kind === 'add'
                ? {
                    op: 'add-device',
                    userId,
                    name: userId,
                    role: c.role,
                    device: { key: keys[c.device]!.publicKey, box: box() },
                    joinId: toBase64Url(randomBytes(8)),
                  }
                : c.kind === 'set-role'
                  ? { op: 'set-role', userId, role: c.role, hashes: [] }
                  : c.kind === 'remove-device'
                    ? { op: 'remove-device', device: toBase64Url(keys[c.device]!.publicKey), hashes: [] }
                    : { op: 'remove-user', userId, hashes: [] }
            let r = record(op, c.signer, c.lamport)
            if (c.forge) r = r.slice(0, 12) + (r[12] === 'A' ? 'B' : 'A') + r.slice(13)
            records.push(r)
          }
          // Any order, any batching.
          const it = shuffle[Symbol.iterator]()
          const order = records.map((r) => ({ r, k: it.next().value as number })).sort((x, y) => x.k - y.k)
          let at = 0
          for (let i = 0; at < order.length; i++) {
            const batch = order.slice(at, at + cuts[i % cuts.length]!).map((o) => o.r)
            at += batch.length
            await post(tenant, batch)
          }

          const valid = records.flatMap((r) => {
            try {
              return [verifyMemberRecord(r, tenant)]
            } catch {
              return []
            }
          })
          const state = foldDirectory(keys[0]!.publicKey, valid)
          for (let k = 0; k < 6; k++) {
            const id = toBase64Url(keys[k]!.publicKey)
            const d = state.devices.get(id)
            const u = d && state.users.get(d.userId)
            const expected: Standing = !d
              ? k === 0
                ? 'member' // registered
                : 'unknown'
              : d.removed || !u || u.removed
                ? 'revoked'
                : u.role === 'reader'
                  ? 'reader'
                  : 'member'
            expect(await observed(tenant, keys[k]!), `key ${k}`).toBe(expected)
            if (k > 0) seen.add(expected)
          }
        },
      ),
      {
        numRuns: 60,
        // Besides the random runs, one that surely has each standing: device 1 added then removed,
        // device 2 added as a reader's, device 3 as a writer's; device 4 and the stranger unknown.
        examples: [
          [
            [
              { kind: 'add', device: 1, user: 1, role: 'writer', signer: 0, lamport: 1, forge: false },
              { kind: 'add', device: 2, user: 2, role: 'reader', signer: 0, lamport: 2, forge: false },
              { kind: 'add', device: 3, user: 3, role: 'writer', signer: 0, lamport: 3, forge: false },
              { kind: 'remove-device', device: 1, user: 1, role: 'writer', signer: 0, lamport: 4, forge: false },
            ],
            true,
            [2, 3],
            fc.Stream.of(0.4, 0.1, 0.9, 0.3, 0.7),
          ],
        ],
      },
    )
    // The runs covered devices admitted, readers, removed ones and strangers.
    expect([...seen].sort()).toEqual(['member', 'reader', 'revoked', 'unknown'])
  }, 120_000)
})

/** Posts records as a stranger would; a request refused whole is fine (every record in it was refused). */
async function post(tenant: string, records: string[]): Promise<void> {
  const conn = new ServerConnection({ url: server.url, tenant, key: generateSigningKeyPair() })
  try {
    await conn.post(`${conn.tenantPath}/directory`, { records })
  } catch (err) {
    if (!isWeftError(err, ErrorCodes.MEMBER_RECORD_REFUSED)) throw err
  }
}

/** What the server makes of a key: sign in, then push an entry it authored. */
async function observed(tenant: string, key: SigningKeyPair): Promise<Standing> {
  const conn = new ServerConnection({ url: server.url, tenant, key })
  try {
    await conn.token()
  } catch (err) {
    if (isWeftError(err, ErrorCodes.FORBIDDEN)) return 'revoked'
    if (isWeftError(err, ErrorCodes.UNAUTHORIZED)) return 'unknown'
    throw err
  }
  const factory = Object.assign(new EntryFactory(1), { signer: key })
  const r = await new RemoteChangeStore({ connection: conn, db: 'notes' }).relay([envelope(factory.entry(0))])
  return r.rejected[0]?.error.code === ErrorCodes.READ_ONLY ? 'reader' : 'member'
}
