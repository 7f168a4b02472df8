import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, MemoryChangeStore, ready } from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { LiveSync, registerMembers, RemoteChangeStore, ServerConnection, type SyncStatus } from '@weft/client'
import { SOCKET_CLOSE } from '@weft/protocol'
import { WeftServer } from '@weft/server'
import { WebSocket } from 'ws'
import { eventually, setupTenant, type TenantSetup } from '../network/helpers/devices.ts'
import { recordingSocket, type RecordingSocket } from './helpers/sockets.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const closedWithin = (s: RecordingSocket, ms: number) => Promise.race([s.closed, sleep(ms).then(() => undefined)])

/** A tenant on `server` with a writer, an entry factory for its pushes, and a `secret` database with history. */
async function scene(server: WeftServer) {
  const t = await setupTenant(server.url, { count: 1 })
  const writer = t.devices[0]!
  const factory = new EntryFactory(50)
  let n = 0
  const push = (db = 'notes') =>
    new RemoteChangeStore({ connection: writer.connection, db }).relay([envelope(factory.entry(n++))])
  for (let i = 0; i < 5; i++) await push('secret')
  return { t, push }
}

/** A new member key of `t` (with `until`, if given) and its link to the server. */
async function member(server: WeftServer, t: TenantSetup, until?: number): Promise<ServerConnection> {
  const key = generateSigningKeyPair()
  await registerMembers({
    url: server.url,
    tenant: t.tenantId,
    admin: t.admin,
    add: [key.publicKey],
    ...(until ? { until } : {}),
  })
  return new ServerConnection({ url: server.url, tenant: t.tenantId, key })
}

beforeAll(ready)

describe('revocation reaches open sockets', () => {
  let server: WeftServer
  beforeAll(async () => {
    server = await WeftServer.start({ authors: 'any' })
  })
  afterAll(() => server.close())

  it('revoke: the socket closes as forbidden, nothing more arrives, and it cannot subscribe to another database', async () => {
    const { t, push } = await scene(server)
    const victim = await member(server, t)
    const s = await recordingSocket(server.url, t.tenantId, await victim.token())
    s.send({ type: 'subscribe', db: 'notes', since: null })
    await push()
    await eventually(() => s.entriesAfter(0, 'notes') === 1, 5_000, 'the first entry')

    const revokedAt = Date.now()
    await registerMembers({ url: server.url, tenant: t.tenantId, admin: t.admin, revoke: [victim.publicKey] })
    s.send({ type: 'subscribe', db: 'secret', since: null })
    await push()
    const closed = await closedWithin(s, 3_000)
    expect(closed?.code).toBe(SOCKET_CLOSE.FORBIDDEN)
    await sleep(200)
    expect(s.entriesAfter(revokedAt)).toBe(0)
    expect(s.entriesAfter(0, 'secret')).toBe(0)
  })

  it('until: the socket closes when the membership runs out, and nothing arrives after that moment', async () => {
    const { t, push } = await scene(server)
    const until = Date.now() + 1_500
    const member1 = await member(server, t, until)
    const s = await recordingSocket(server.url, t.tenantId, await member1.token())
    s.send({ type: 'subscribe', db: 'notes', since: null })
    await push()
    await eventually(() => s.entriesAfter(0, 'notes') === 1, 5_000, 'the first entry')

    await sleep(until - Date.now())
    s.send({ type: 'subscribe', db: 'secret', since: null })
    await push()
    const closed = await closedWithin(s, 3_000)
    expect(closed?.code).toBe(SOCKET_CLOSE.FORBIDDEN)
    expect(closed!.at).toBeGreaterThanOrEqual(until)
    await sleep(200)
    expect(s.entriesAfter(until)).toBe(0)
    expect(s.entriesAfter(0, 'secret')).toBe(0)
  })

  it('LiveSync of a revoked member stops with WEFT_FORBIDDEN and receives nothing more', async () => {
    const { t, push } = await scene(server)
    const victim = await member(server, t)
    const local = new MemoryChangeStore()
    const live = new LiveSync({
      local,
      remote: new RemoteChangeStore({ connection: victim, db: 'notes' }),
      webSocket: WebSocket,
      backoff: { initialMs: 50, maxMs: 200 },
    })
    live.start()
    await push()
    await eventually(async () => (await local.getAllChangeHashes()).length === 1, 5_000, 'the first entry')
    await registerMembers({ url: server.url, tenant: t.tenantId, admin: t.admin, revoke: [victim.publicKey] })
    await push()
    await eventually(() => live.peek().state === 'error', 5_000, 'the error state')
    expect((live.peek() as Extract<SyncStatus, { state: 'error' }>).error.code).toBe(ErrorCodes.FORBIDDEN)
    await sleep(300)
    expect((await local.getAllChangeHashes()).length).toBe(1)
    await live.close()
  })
})

describe('session lifetime reaches open sockets', () => {
  let server: WeftServer
  const ttl = 1_500
  beforeAll(async () => {
    server = await WeftServer.start({ authors: 'any', sessionTtlMs: ttl })
  })
  afterAll(() => server.close())

  it('a socket closes when its session expires (sign in again), and nothing arrives after', async () => {
    const { t, push } = await scene(server)
    const m = await member(server, t)
    const signedInAt = Date.now()
    const s = await recordingSocket(server.url, t.tenantId, await m.token())
    s.send({ type: 'subscribe', db: 'notes', since: null })
    await push()
    await eventually(() => s.entriesAfter(0, 'notes') === 1, 5_000, 'the first entry')
    const closed = await closedWithin(s, ttl + 3_000)
    expect(closed?.code).toBe(SOCKET_CLOSE.SIGN_IN_AGAIN)
    expect(closed!.at).toBeGreaterThanOrEqual(signedInAt + ttl - 50)
    await push()
    s.send({ type: 'subscribe', db: 'secret', since: null })
    await sleep(200)
    expect(s.entriesAfter(closed!.at)).toBe(0)
    expect(s.entriesAfter(0, 'secret')).toBe(0)
  })

  it('LiveSync signs in again when its session ends, and keeps delivering', async () => {
    const { t, push } = await scene(server)
    const m = await member(server, t)
    const local = new MemoryChangeStore()
    const live = new LiveSync({
      local,
      remote: new RemoteChangeStore({ connection: m, db: 'notes' }),
      webSocket: WebSocket,
      backoff: { initialMs: 50, maxMs: 200 },
    })
    live.start()
    await push()
    await eventually(async () => (await local.getAllChangeHashes()).length === 1, 5_000, 'the first entry')
    await sleep(ttl + 500) // the first session is over
    await push()
    await eventually(
      async () => (await local.getAllChangeHashes()).length === 2,
      5_000,
      'an entry after the session ended',
    )
    expect(live.peek().state).not.toBe('error')
    await live.close()
  })
})
