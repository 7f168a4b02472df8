import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready, TenantFactory } from '@weft/core'
import { PostgresStoreFactory } from '@weft/store-postgres'
import { WeftServer } from '@weft/server'
import { adminQuery, createTestDatabase, type TestDatabase } from '../../store-postgres/test/helpers/pgDatabase.ts'
import { PASSWORD } from './helpers/fixture.ts'
import { weft } from './helpers/weft.ts'

let db: TestDatabase
let dir: string
beforeAll(async () => {
  await ready()
  db = await createTestDatabase('cli')
  dir = await mkdtemp(join(tmpdir(), 'weft-cli-pg-'))
})
afterAll(async () => {
  await db.drop()
  await rm(dir, { recursive: true, force: true })
})

describe('weft on a PostgreSQL URL in place of a data folder', () => {
  it('takes the URL of sessions from WEFT_POSTGRES_SESSION_URL, and refuses one that reaches another database', async () => {
    const other = await createTestDatabase('cli_other')
    try {
      const env = { WEFT_DATA: db.url, WEFT_TENANT: 'beta', WEFT_PASSWORD: PASSWORD }
      const wrong = await weft(['tenant', 'list', '--json'], { ...env, WEFT_POSTGRES_SESSION_URL: other.url })
      expect(wrong.code).not.toBe(0)
      expect(wrong.stderr).toMatch(/WEFT_INVALID_ARGUMENT[\s\S]*sessionUrl reaches another/)
      const right = await weft(['tenant', 'list', '--json'], { ...env, WEFT_POSTGRES_SESSION_URL: db.url })
      expect(right.code, right.stderr).toBe(0)
    } finally {
      await other.drop()
    }
  })

  it('creates, lists and describes a tenant, shows and verifies its databases, backs it up into a folder, and flags a tampered entry', async () => {
    const env = { WEFT_DATA: db.url, WEFT_TENANT: 'acme', WEFT_PASSWORD: PASSWORD }
    const created = await weft(['tenant', 'create', '--json'], env)
    expect(created.code, created.stderr).toBe(0)

    // An application writes through the same storage.
    const factory = new TenantFactory({ storeFactory: new PostgresStoreFactory({ url: db.url }) })
    const t = await factory.openTenant('acme', { password: PASSWORD })
    const notes = await t.openDB('notes')
    for (let i = 0; i < 3; i++) await notes.createDocument({ data: { title: `note ${i}` } })
    await t.close()
    await factory.close()

    expect((await weft(['tenant', 'list', '--json'], env)).stdout).toContain('"acme"')
    const info = JSON.parse((await weft(['tenant', 'info', '--json'], env)).stdout) as { databases: string[] }
    expect(info.databases).toContain('notes')
    const shown = JSON.parse((await weft(['db', 'show', 'notes', '--json'], env)).stdout) as { documents: unknown[] }
    expect(shown.documents).toHaveLength(3)
    const verified = await weft(['verify', '--json'], env)
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)

    const file = join(dir, 'acme.weftbackup')
    expect((await weft(['backup', '--out', file], env)).code).toBe(0)
    const folder = join(dir, 'restored')
    expect((await weft(['restore', '--from', file], { ...env, WEFT_DATA: folder })).code).toBe(0)
    const restored = JSON.parse((await weft(['db', 'show', 'notes', '--json'], { ...env, WEFT_DATA: folder })).stdout)
    expect(restored.documents).toHaveLength(3)

    // One entry's bytes changed behind the store's back: verify names it and exits 1.
    const changed = await adminQuery(
      `UPDATE weft_entries SET bytes = set_byte(bytes, length(bytes) - 5, get_byte(bytes, length(bytes) - 5) # 1)
       WHERE (tenant_id, store, hash) = (SELECT tenant_id, store, hash FROM weft_entries WHERE tenant_id = 'acme' AND store LIKE '%notes' ORDER BY seq LIMIT 1)`,
      [],
      db.name,
    )
    expect(changed.rowCount).toBe(1)
    const tampered = await weft(['verify'], env)
    expect(tampered.code).toBe(1)
    expect(tampered.stdout).toMatch(/FAIL acme\/notes/)
  })
})

describe('weft server tenants move', () => {
  it("moves a tenant of a server on PostgreSQL (hybrid) to another model, as the server's setting allows", async () => {
    const KEY = `weft_${'A'.repeat(16)}_${'B'.repeat(43)}`
    const server = await WeftServer.start({
      storeFactory: new PostgresStoreFactory({ url: db.url, isolation: 'hybrid' }),
      tenancy: { adminKey: KEY, isolationChanges: ['schema'] },
    })
    try {
      const env = { WEFT_SERVER_URL: server.url, WEFT_API_KEY: KEY }
      const created = await fetch(`${server.url}/v1/admin/tenants`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'moving-co' }),
      })
      expect(created.status).toBe(201)
      const moved = await weft(['server', 'tenants', 'move', 'moving-co', 'schema', '--json'], env)
      expect(moved.code, moved.stderr).toBe(0)
      expect(JSON.parse(moved.stdout)).toMatchObject({ id: 'moving-co', isolation: 'schema', status: 'active' })
      const row = await adminQuery(`SELECT model FROM weft_tenants WHERE id = 'moving-co'`, [], db.name)
      expect(row.rows).toEqual([{ model: 'schema' }])
    } finally {
      await server.close()
    }
  })
})
