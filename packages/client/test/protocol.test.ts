import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, ready } from '@weft/core'
import { createRegistration, signChallenge, verifyChallenge, verifyRegistration } from '@weft/protocol'
import { StatusCell } from '../src/SyncStatus.ts'

beforeAll(ready)

describe('registrations and challenges', () => {
  it('verifies a registration signed by its admin, and nothing altered', () => {
    const admin = generateSigningKeyPair()
    const member = generateSigningKeyPair().publicKey
    const r = createRegistration({ server: 'srv-1', tenant: 'acme', seq: 3, add: [member] }, admin)
    expect(verifyRegistration(r)).toBe(true)
    expect(verifyRegistration({ ...r, tenant: 'other' })).toBe(false)
    // Made for one server: naming another breaks the signature.
    expect(verifyRegistration({ ...r, server: 'srv-2' })).toBe(false)
    expect(verifyRegistration({ ...r, seq: 4 })).toBe(false)
    expect(verifyRegistration({ ...r, add: [] })).toBe(false)
    expect(verifyRegistration({ ...r, admin: generateSigningKeyPair().publicKey })).toBe(false)
    expect(verifyRegistration({ ...r, add: [new Uint8Array(5)] })).toBe(false)
    // An end to the membership cannot be added, changed or removed without the admin.
    expect(verifyRegistration({ ...r, until: Date.now() })).toBe(false)
    const timed = createRegistration(
      { server: 'srv-1', tenant: 'acme', seq: 3, add: [member], until: 1_900_000_000_000 },
      admin,
    )
    expect(verifyRegistration(timed)).toBe(true)
    expect(verifyRegistration({ ...timed, until: 1_900_000_000_001 })).toBe(false)
    const { until: _, ...stripped } = timed
    expect(verifyRegistration(stripped)).toBe(false)
    expect(verifyRegistration({ ...timed, until: -1 })).toBe(false)
    // Authors only (keys that may author entries, never sign in) are signed the same way, and the
    // optional fields are tagged: an empty author list cannot be read as an end time of 0.
    const author = generateSigningKeyPair().publicKey
    const withAuthors = createRegistration({ server: 'srv-1', tenant: 'acme', seq: 3, authors: [author] }, admin)
    expect(verifyRegistration(withAuthors)).toBe(true)
    expect(verifyRegistration({ ...withAuthors, authors: [] })).toBe(false)
    expect(verifyRegistration({ ...withAuthors, authors: [member] })).toBe(false)
    const { authors: __, ...noAuthors } = withAuthors
    expect(verifyRegistration(noAuthors)).toBe(false)
    const emptyAuthors = createRegistration({ server: 'srv-1', tenant: 'acme', seq: 3, authors: [] }, admin)
    const { authors: ___, ...asUntil } = emptyAuthors
    expect(verifyRegistration({ ...asUntil, until: 0 })).toBe(false)
    expect(() =>
      createRegistration({ server: 'srv-1', tenant: 'acme', seq: 3, add: [member], until: -1 }, admin),
    ).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }))
  })

  it('binds a challenge signature to the server, the tenant and the key', () => {
    const k = generateSigningKeyPair()
    const c = new Uint8Array(32).fill(7)
    const server = { origin: 'https://sync.example.com', serverId: 'srv-1' }
    const sig = signChallenge(server, 'acme', c, k)
    expect(verifyChallenge(server, 'acme', c, sig, k.publicKey)).toBe(true)
    expect(verifyChallenge({ ...server, origin: 'https://other.example.com' }, 'acme', c, sig, k.publicKey)).toBe(false)
    expect(verifyChallenge({ ...server, serverId: 'srv-2' }, 'acme', c, sig, k.publicKey)).toBe(false)
    expect(verifyChallenge(server, 'other', c, sig, k.publicKey)).toBe(false)
    expect(verifyChallenge(server, 'acme', new Uint8Array(32), sig, k.publicKey)).toBe(false)
    expect(verifyChallenge(server, 'acme', c, sig, generateSigningKeyPair().publicKey)).toBe(false)
    // The strings are length-prefixed: moving a character from one to the next changes the bytes.
    expect(verifyChallenge({ ...server, serverId: 'srv-1a' }, 'cme', c, sig, k.publicKey)).toBe(false)
    expect(verifyChallenge({ origin: `${server.origin}s`, serverId: 'rv-1' }, 'acme', c, sig, k.publicKey)).toBe(false)
  })
})

describe('StatusCell', () => {
  it('peeks, notifies subscribers, and resolves whenReady on up-to-date with nothing pending', async () => {
    const cell = new StatusCell({ state: 'offline', pending: 0 })
    const seen: string[] = []
    cell.subscribe((s) => seen.push(s.state))
    const ready = cell.whenReady()
    cell.set({ state: 'syncing', pending: 2 })
    cell.set({ state: 'up-to-date', pending: 1 })
    cell.set({ state: 'up-to-date', pending: 0 })
    await ready
    expect(seen).toEqual(['syncing', 'up-to-date', 'up-to-date'])
    expect(cell.peek()).toEqual({ state: 'up-to-date', pending: 0 })
  })

  it('rejects whenReady on error or abort', async () => {
    const cell = new StatusCell({ state: 'offline', pending: 0 })
    const failing = cell.whenReady()
    const { WeftError } = await import('@weft/core')
    cell.set({ state: 'error', error: new WeftError(ErrorCodes.FORBIDDEN, 'revoked') })
    await expect(failing).rejects.toMatchObject({ code: ErrorCodes.FORBIDDEN })
    const other = new StatusCell({ state: 'offline', pending: 0 })
    const ac = new AbortController()
    const waiting = other.whenReady({ signal: ac.signal })
    ac.abort()
    await expect(waiting).rejects.toMatchObject({ code: ErrorCodes.ABORTED })
  })
})
