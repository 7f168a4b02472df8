import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready } from '@weft/core/backend'
import {
  adminQuery,
  createTestDatabase,
  type TestDatabase,
} from '../../packages/store-postgres/test/helpers/pgDatabase.ts'
import { RemoteChangeStore, ServerConnection } from '@weft/client'
import { eventually, setupTenant } from './helpers/devices.ts'
import { stickyFetch } from './helpers/stickyFetch.ts'
import { startServerProcess } from './helpers/serverProcess.ts'

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

/** The worker pids that printed their listening line, in order. */
const workerPids = (out: string) => [...out.matchAll(/worker (\d+)\n/g)].map((m) => Number(m[1]))

beforeAll(ready)

describe('weft-server --workers', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('workers')
  })
  afterAll(() => db.drop())

  it('serves from N processes on one port, replaces a killed worker, and drains them all on SIGTERM', async () => {
    const port = await freePort()
    const primary = await startServerProcess(['--postgres', db.url, '--port', String(port), '--workers', '2'])
    try {
      await primary.printed(/2 workers listening/)
      // Each worker prints its own start line; the primary's may come first.
      await primary.printed(/worker \d+\n[\s\S]*worker \d+\n/)
      const url = `http://127.0.0.1:${port}`
      expect(workerPids(primary.stdout())).toHaveLength(2)
      const probes = await Promise.all(['/healthz', '/readyz'].map((p) => fetch(url + p)))
      expect(probes.map((r) => r.status)).toEqual([200, 200])
      expect(await probes[1]!.json()).toEqual({ ready: true })

      // It serves: a tenant registers and a device pushes and reads back.
      const {
        tenantId,
        devices: [d],
      } = await setupTenant(url, { count: 1 })
      const remote = new RemoteChangeStore({
        connection: new ServerConnection({ url, tenant: tenantId, key: d!.key, fetch: stickyFetch() }),
        db: 'notes',
      })
      const doc = await d!.db.createDocument({ data: { v: 1 } })
      await d!.db.pushChangesTo(remote)
      expect(await remote.has([...(await d!.db.getStore().getAllChangeHashes())])).toEqual([true])

      // A killed worker is replaced, and the port keeps serving.
      const [victim] = workerPids(primary.stdout())
      process.kill(victim!, 'SIGKILL')
      await primary.printed(new RegExp(`worker ${victim} exited \\(SIGKILL\\); starting another`))
      await eventually(() => workerPids(primary.stdout()).length === 3, 30_000, 'a new worker')
      for (let i = 0; i < 4; i++) expect((await fetch(`${url}/readyz`)).status).toBe(200)
      await d!.db.changeDoc(doc.getId(), (x) => void (x.getData().v = 2))
      await d!.db.pushChangesTo(remote)
      expect((await remote.head()).count).toBe(2)

      expect(await primary.stop('SIGTERM')).toBe(0)
      expect(primary.stdout()).toMatch(/SIGTERM: draining 2 workers/)
    } finally {
      await primary.stop()
    }
  })
})

describe('weft-server --single-process', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase('single')
  })
  afterAll(() => db.drop())

  const listeners = async () =>
    Number(
      (
        await adminQuery<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN%'",
          [db.name],
        )
      ).rows[0]!.n,
    )

  it('serves on PostgreSQL without a cluster bus; by default a server listens on one', async () => {
    for (const [flags, listening] of [
      [['--single-process'], 0],
      [[], 1],
    ] as const) {
      const port = await freePort()
      const server = await startServerProcess(['--postgres', db.url, '--port', String(port), ...flags])
      try {
        await server.printed(/listening/)
        const url = `http://127.0.0.1:${port}`
        expect((await fetch(`${url}/readyz`)).status).toBe(200)
        expect(await listeners(), flags.join(' ') || 'default').toBe(listening)
      } finally {
        await server.stop()
      }
    }
  })

  it('listens on --postgres-session, the URL of sessions, when the main URL goes through a pooler', async () => {
    const named = (app: string) => {
      const u = new URL(db.url)
      u.searchParams.set('application_name', app)
      return u.toString()
    }
    const port = await freePort()
    const server = await startServerProcess([
      '--postgres',
      named('weft_pooled'),
      '--postgres-session',
      named('weft_session'),
      '--port',
      String(port),
    ])
    try {
      await server.printed(/listening/)
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200)
      const { rows } = await adminQuery<{ app: string }>(
        "SELECT application_name AS app FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN%'",
        [db.name],
      )
      expect(rows.map((r) => r.app)).toEqual(['weft_session'])
    } finally {
      await server.stop()
    }
  })
})
