import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready } from '@weft/core'
import { EntryFactory } from '@weft/core/testing/fixtures'
import { WeftServer } from '@weft/server'
import { LevelStoreFactory } from '@weft/store-level'
import { PostgresStoreFactory, type IsolationModel } from '@weft/store-postgres'
import { createTestDatabase, type TestDatabase } from '../../packages/store-postgres/test/helpers/pgDatabase.ts'
import { relayGrant, relaySide, type RelaySide } from './helpers/relaySide.ts'
import { startServerProcess } from './helpers/serverProcess.ts'

type Order = { item: string; status: string }

const CLI = join(import.meta.dirname, '../../packages/server/src/cli.ts')

/** Runs the server's command line with tsx; resolves with its exit code and output. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => void (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => void (stderr += c))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

/** A supplier sharing `orders` with a customer both ways through the server at `url`. */
async function pair(url: string) {
  const supplier = await relaySide(url, 'supplier')
  const customer = await relaySide(url, 'customer')
  await supplier.tenant.keyBag.generateKey('orders-key')
  const orders = await supplier.tenant.openDB('orders', { keyId: 'orders-key' })
  await relayGrant(
    supplier,
    customer,
    { databases: ['orders'], keys: ['orders-key'], permissions: ['read', 'write'] },
    'both',
  )
  const customerOrders = await customer.tenant.openDB('orders')
  return { supplier, customer, orders, customerOrders, close: () => Promise.all([supplier.close(), customer.close()]) }
}

const sync = async (s: RelaySide) => {
  const r = await s.orchestrator.syncAll()
  expect(r.failed).toEqual([])
  return r
}

beforeAll(() => ready())

describe.each(['shared', 'schema', 'database'] as IsolationModel[])('a relay on PostgreSQL (%s)', (isolation) => {
  let db: TestDatabase
  let server: WeftServer
  beforeAll(async () => {
    db = await createTestDatabase('relay')
    server = await WeftServer.start({ storeFactory: new PostgresStoreFactory({ url: db.url, isolation }) })
  })
  afterAll(async () => {
    await server.close()
    await db.drop()
  })

  it("delivers the supplier's orders and accepts the customer's changes back", async () => {
    const p = await pair(server.url)
    const order = await p.orders.createDocument<Order>({ data: { item: 'oak table', status: 'pending' } })
    const out = await sync(p.supplier)
    expect(out.sent).toBeGreaterThan(0)
    expect((await sync(p.customer)).received).toBe(out.sent)
    expect((await p.customerOrders.getDocument<Order>(order.getId()))!.getData().status).toBe('pending')
    await p.customerOrders.changeDoc<Order>(order.getId(), (d) => void (d.getData().status = 'confirmed'))
    expect((await sync(p.customer)).sent).toBe(1)
    expect((await sync(p.supplier)).received).toBe(1)
    expect((await p.orders.getDocument<Order>(order.getId()))!.getData().status).toBe('confirmed')
    for (const s of [p.supplier, p.customer]) {
      const r = await sync(s)
      expect(r.sent + r.received).toBe(0)
    }
    await p.close()
  })
})

describe('weft-server migrate --from <level folder> --to <postgres url>', () => {
  let dir: string
  let db: TestDatabase
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-migrate-'))
    db = await createTestDatabase('moved')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
    await db.drop()
  })

  it('moves a LevelDB server into PostgreSQL: the same entries are served, and clients go on from their cursors', async () => {
    const level = join(dir, 'server')
    let server = await WeftServer.start({ storeFactory: new LevelStoreFactory({ path: level }) })
    const { port, serverId } = server
    const p = await pair(server.url)
    const first = await p.orders.createDocument<Order>({ data: { item: 'chair', status: 'new' } })
    await p.orders.changeDoc<Order>(first.getId(), (d) => void (d.getData().status = 'paid'))
    expect((await sync(p.supplier)).sent).toBe(2)
    expect((await sync(p.customer)).received).toBe(2)
    await server.close()
    // A store from before tenancy (named without a tenant) in the same folder.
    const old = new LevelStoreFactory({ path: level })
    await (
      await old.openChangeStore('journal')
    ).appendMany(new EntryFactory().entries(3).map((e) => ({ hash: e.hash, bytes: e.bytes })))
    await old.close()

    const migrate = ['migrate', '--from', level, '--to', db.url, '--isolation', 'schema', '--default-tenant', 'old']
    const moved = await cli(migrate)
    expect(moved, moved.stderr).toMatchObject({ code: 0 })
    expect(moved.stdout).toMatch(/moved \d+ change stores \(\d+ entries\) and \d+ records/)
    expect(moved.stdout).toContain('journal: from before tenancy, now old/journal')

    // The same port and identity, now on PostgreSQL.
    const factory = new PostgresStoreFactory({ url: db.url, isolation: 'schema' })
    server = await WeftServer.start({ storeFactory: factory, port })
    try {
      expect(server.serverId).toBe(serverId)
      // Every entry of the LevelDB folder is in PostgreSQL, in the same arrival order and epoch.
      const source = new LevelStoreFactory({ path: level })
      try {
        const { changeStores } = await source.listStores()
        expect(changeStores.length).toBeGreaterThan(0)
        for (const name of changeStores) {
          const to = name.includes('/') ? name : `old/${name}`
          const [a, b] = [await source.openChangeStore(name), await factory.openChangeStore(to)]
          expect(await b.head()).toEqual(await a.head())
          expect((await b.scan(null, { limit: 10_000 })).entries).toEqual(
            (await a.scan(null, { limit: 10_000 })).entries,
          )
        }
      } finally {
        await source.close()
      }
      // Members still sign in; nothing is sent again (cursors held), and what is new flows.
      for (const s of [p.supplier, p.customer]) {
        const r = await sync(s)
        expect(r.sent + r.received).toBe(0)
      }
      await p.orders.changeDoc<Order>(first.getId(), (d) => void (d.getData().status = 'shipped'))
      expect((await sync(p.supplier)).sent).toBe(1)
      expect((await sync(p.customer)).received).toBe(1)
      expect((await p.customerOrders.getDocument<Order>(first.getId()))!.getData().status).toBe('shipped')
      // Moving again copies nothing new and changes nothing.
      const again = await cli(migrate)
      expect(again.stdout).toMatch(/\(0 entries\)/)
    } finally {
      await p.close()
      await server.close()
    }
  })

  it('refuses missing arguments', async () => {
    expect((await cli(['migrate', '--from', dir])).code).toBe(2)
  })
})

describe('npm run serve -- --postgres URL', () => {
  let db: TestDatabase
  beforeAll(async () => void (db = await createTestDatabase('serve')))
  afterAll(() => db.drop())

  it('runs the relay on PostgreSQL', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, '--postgres', db.url, '--isolation', 'database', '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.setEncoding('utf8').on('data', (c: string) => {
          out += c
          if (out.includes('\n')) resolve(out)
        })
        child.on('close', (code) => reject(new Error(`exited with ${code}`)))
      })
      expect(line).toContain('on PostgreSQL (database isolation)')
      expect(line).not.toContain(new URL(db.url).password)
      const url = /listening on (\S+)/.exec(line)![1]!
      expect((await fetch(`${url}/v1/health`)).status).toBe(200)
      // A tenant's data lands in a database of its own.
      const p = await pair(url)
      await p.orders.createDocument<Order>({ data: { item: 'lamp', status: 'new' } })
      expect((await sync(p.supplier)).sent).toBe(1)
      await p.close()
      const probe = new PostgresStoreFactory({ url: db.url, isolation: 'database' })
      try {
        const tenants = await probe.listTenants()
        expect(tenants.length).toBeGreaterThan(0)
        expect(tenants.every((t) => t.model === 'database')).toBe(true)
      } finally {
        await probe.close()
      }
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('close', r))
    }
  })
})

describe('the relay command on PostgreSQL under hybrid isolation', () => {
  let db: TestDatabase
  beforeAll(async () => void (db = await createTestDatabase('servemove')))
  afterAll(() => db.drop())

  it('moves a tenant through the admin API to the models WEFT_ISOLATION_CHANGES allows, and no other', async () => {
    const key = `weft_${'A'.repeat(16)}_${'B'.repeat(43)}`
    const server = await startServerProcess(['--postgres', db.url, '--isolation', 'hybrid', '--port', '0'], {
      WEFT_ADMIN_KEY: key,
      WEFT_ISOLATION_CHANGES: 'schema',
    })
    try {
      const call = (path: string, body: unknown) =>
        fetch(`${server.url}/v1/admin/tenants${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then(async (r) => ({ status: r.status, body: await r.json() }))
      expect((await call('', { id: 'roomy' })).status).toBe(201)
      expect(await call('/roomy/move', { isolation: 'database' })).toMatchObject({
        status: 409,
        body: { code: 'WEFT_MOVE_NOT_ALLOWED' },
      })
      expect(await call('/roomy/move', { isolation: 'schema' })).toMatchObject({
        status: 200,
        body: { isolation: 'schema' },
      })
    } finally {
      await server.stop('SIGTERM')
    }
  })
})
