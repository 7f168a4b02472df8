import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  createPresenceMessage,
  generateSigningKeyPair,
  openPresenceMessage,
  parsePresenceMessage,
  toBase64Url,
} from '../src/backend.ts'
import {
  ErrorCodes,
  KeyBag,
  linkPresence,
  Presence,
  PRESENCE_LIMITS,
  ready,
  type PresenceReceipt,
} from '../src/index.ts'
import { deviceId, firstDevice, joinDevice, syncDirectory } from './helpers/devices.ts'

beforeAll(ready)

/** Resolves once `presence` lists a peer for which `test` holds. */
function peerWhere(presence: Presence, test: (state: unknown) => boolean): Promise<unknown> {
  return new Promise((resolve) => {
    const check = () => {
      const p = presence.peers().find((x) => test(x.state))
      if (!p) return false
      off()
      resolve(p.state)
      return true
    }
    const off = presence.subscribe(() => void check())
    check()
  })
}

/** Two bare presences of one tenant over one key bag, with a clock the test moves. */
function pair(timeoutMs = 5_000) {
  const clock = { now: 1_000_000 }
  const keyBag = KeyBag.create()
  const a = generateSigningKeyPair()
  const b = generateSigningKeyPair()
  const admitted = new Set([toBase64Url(a.publicKey), toBase64Url(b.publicKey)])
  const make = (signer: typeof a) =>
    new Presence({
      tenantId: 'acme',
      scope: 'notes',
      signer,
      keyBag,
      keyId: () => 'default',
      admits: (k) => admitted.has(toBase64Url(k)),
      timeoutMs,
      now: () => clock.now,
    })
  return { clock, keyBag, admitted, a: make(a), b: make(b), bKey: b, fresh: () => make(a) }
}

/** The messages `presence` sends, captured instead of delivered. */
function capture(presence: Presence): Uint8Array[] {
  const sent: Uint8Array[] = []
  presence.connect((bytes) => sent.push(bytes))
  return sent
}

const refusedWith = (r: PresenceReceipt) => (r.ok ? 'ok' : r.code)

describe('presence', () => {
  it('devices of one tenant see each other in a database, in process, and a leave is seen', async () => {
    const a = await firstDevice('acme')
    const b = await joinDevice(a.tenant, { role: 'reader', userName: 'phone' })
    await syncDirectory(a.tenant, b.tenant)
    const [dbA, dbB] = [await a.tenant.openDB('notes'), await b.tenant.openDB('notes')]
    const unlink = linkPresence(dbA.presence, dbB.presence)
    dbA.presence.set({ name: 'Ada', cursor: 3 })
    dbB.presence.set({ name: 'Bob', cursor: 9 })
    expect(await peerWhere(dbB.presence, (s) => (s as { name: string }).name === 'Ada')).toEqual({
      name: 'Ada',
      cursor: 3,
    })
    expect(await peerWhere(dbA.presence, (s) => (s as { name: string }).name === 'Bob')).toEqual({
      name: 'Bob',
      cursor: 9,
    })
    expect(dbA.presence.peers().map((p) => p.device)).toEqual([await deviceId(b.tenant)])
    dbA.presence.set({ name: 'Ada', cursor: 4 })
    await peerWhere(dbB.presence, (s) => (s as { cursor: number }).cursor === 4)
    const gone = new Promise<void>((resolve) => dbA.presence.subscribe((p) => p.length === 0 && resolve()))
    dbB.presence.leave()
    await gone
    unlink()
    // The tenant's own presence, across databases, works the same way.
    linkPresence(a.tenant.presence, b.tenant.presence)
    b.tenant.presence.set('here')
    expect(await peerWhere(a.tenant.presence, (s) => s === 'here')).toBe('here')
    await a.tenant.close()
    await b.tenant.close()
  })

  it('a peer expires after the timeout unless it refreshes', async () => {
    const { clock, a, b } = pair(5_000)
    const sent = capture(b)
    b.set({ at: 'line 1' })
    expect(a.receive(sent[0]!)).toMatchObject({ ok: true })
    expect(a.peers()).toHaveLength(1)
    clock.now += 4_000
    b.set({ at: 'line 2' }) // a refresh
    expect(a.receive(sent.at(-1)!)).toMatchObject({ ok: true })
    clock.now += 4_000
    expect(a.peers().map((p) => p.state)).toEqual([{ at: 'line 2' }])
    clock.now += 1_001
    expect(a.peers()).toEqual([])
    a.close()
    b.close()
  })

  it('a device with a state refreshes it every third of the timeout by itself, and stops when it leaves', async () => {
    const { a, b } = pair(1_500)
    const sent = capture(b)
    b.set('here')
    await new Promise((r) => setTimeout(r, 1_150))
    const refreshed = sent.length
    expect(refreshed).toBeGreaterThanOrEqual(3) // the hello, the set, and at least two refreshes
    b.leave()
    const afterLeave = sent.length
    await new Promise((r) => setTimeout(r, 600))
    expect(sent.length).toBe(afterLeave)
    a.close()
    b.close()
  })

  it('a message from more than a minute ahead is ignored', () => {
    const { clock, a, b } = pair(5_000)
    const sent = capture(b)
    clock.now += 61_000
    b.set('from the future')
    clock.now -= 61_000
    expect(refusedWith(a.receive(sent.at(-1)!))).toBe(ErrorCodes.PRESENCE_STALE)
    a.close()
    b.close()
  })

  it('a message replayed, older than one taken, or older than the timeout is ignored', async () => {
    const { clock, a, b, fresh } = pair(5_000)
    const sent = capture(b)
    b.set('first')
    b.set('second')
    const [first, second] = [sent[0]!, sent[1]!]
    expect(a.receive(second)).toMatchObject({ ok: true })
    expect(refusedWith(a.receive(second))).toBe(ErrorCodes.PRESENCE_STALE)
    expect(refusedWith(a.receive(first))).toBe(ErrorCodes.PRESENCE_STALE)
    expect(a.peers().map((p) => p.state)).toEqual(['second'])
    // A fresh receiver (say, after a restart) still refuses a message from before the timeout.
    const restarted = fresh()
    clock.now += 4_000
    expect(refusedWith(restarted.receive(second))).toBe('ok')
    clock.now += 2_000
    expect(refusedWith(fresh().receive(second))).toBe(ErrorCodes.PRESENCE_STALE)
    a.close()
    b.close()
  })

  it('drops a removed device: its new messages are refused and its standing presence disappears', async () => {
    const a = await firstDevice('acme')
    const b = await joinDevice(a.tenant, { role: 'writer', userName: 'laptop' })
    await syncDirectory(a.tenant, b.tenant)
    const [dbA, dbB] = [await a.tenant.openDB('notes'), await b.tenant.openDB('notes')]
    const sent = capture(dbB.presence)
    dbB.presence.set('laptop here')
    expect(dbA.presence.receive(sent[0]!)).toMatchObject({ ok: true })
    expect(dbA.presence.peers()).toHaveLength(1)
    const gone = new Promise<void>((resolve) => dbA.presence.subscribe((p) => p.length === 0 && resolve()))
    await a.tenant.members.removeDevice(await deviceId(b.tenant))
    await gone
    dbB.presence.set('still here?')
    expect(refusedWith(dbA.presence.receive(sent.at(-1)!))).toBe(ErrorCodes.UNTRUSTED_SIGNER)
    expect(dbA.presence.peers()).toEqual([])
    await a.tenant.close()
    await b.tenant.close()
  })

  it('is encrypted and signed: the bytes hide the state, a flipped bit or another key is refused', () => {
    const { a, b, bKey, keyBag } = pair()
    const sent = capture(b)
    b.set({ secret: 'the launch code is 0000' })
    const message = sent[0]!
    expect(new TextDecoder().decode(message)).not.toContain('launch code')
    const parsed = parsePresenceMessage(message)
    expect(openPresenceMessage(parsed, keyBag)).toEqual({
      kind: 'state',
      state: { secret: 'the launch code is 0000' },
      ask: false,
    })
    for (let i = 0; i < message.length; i += 7) {
      const bad = message.slice()
      bad[i]! ^= 0x10
      expect(a.receive(bad).ok).toBe(false)
    }
    // Signed by an admitted device but under a key the receiver does not hold.
    const forged = createPresenceMessage(
      { kind: 'state', state: 'x', ask: false },
      {
        header: { tenant: 'acme', scope: 'notes', seq: 2e12, at: 1_000_000, keyId: 'default', keyVersion: 1 },
        signer: bKey,
        key: new Uint8Array(32),
      },
    )
    expect(refusedWith(a.receive(forged))).toBe(ErrorCodes.DECRYPT_FAILED)
    // For another scope or tenant.
    const elsewhere = createPresenceMessage(
      { kind: 'state', state: 'x', ask: false },
      {
        header: { tenant: 'acme', scope: 'other', seq: 3e12, at: 1_000_000, keyId: 'default', keyVersion: 1 },
        signer: bKey,
        key: keyBag.current('default').key,
      },
    )
    expect(refusedWith(a.receive(elsewhere))).toBe(ErrorCodes.BAD_PRESENCE)
    expect(() => b.set('x'.repeat(PRESENCE_LIMITS.maxStateBytes))).toThrow(
      expect.objectContaining({ code: ErrorCodes.PAYLOAD_TOO_LARGE }),
    )
    a.close()
    b.close()
  })

  it('never throws on hostile bytes, and accepts none but what an admitted device sent', () => {
    const { a, b } = pair()
    const sent = capture(b)
    b.set('genuine')
    const genuine = sent[0]!
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: PRESENCE_LIMITS.maxMessageBytes + 16 }),
          fc
            .tuple(fc.nat({ max: genuine.length - 1 }), fc.integer({ min: 1, max: 255 }))
            .map(([i, x]) => genuine.map((v, j) => (j === i ? v ^ x : v))),
        ),
        (bytes) => {
          const r = a.receive(bytes)
          expect(r.ok).toBe(false)
          if (!r.ok) expect(r.code).toMatch(/^WEFT_/)
        },
      ),
      { numRuns: 300 },
    )
    a.close()
    b.close()
  })
})
