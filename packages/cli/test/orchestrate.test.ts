import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready, TenantFactory } from '@weft/core'
import { LevelStoreFactory } from '@weft/store-level'
import { parseOrchestrateConfig } from '../src/orchestrateConfig.ts'
import { weft } from './helpers/weft.ts'

let dir: string
let config: string
let grantId: string

/** Opens a tenant of `folder` in process, runs `body`, closes it (the CLI must not hold the folder meanwhile). */
async function inFolder<T>(
  folder: string,
  id: string,
  body: (t: Awaited<ReturnType<TenantFactory['openTenant']>>) => Promise<T>,
): Promise<T> {
  const factory = new TenantFactory({ storeFactory: new LevelStoreFactory({ path: folder }) })
  const t = await factory.openOrCreateTenant({ tenantId: id, password: `${id} password` })
  try {
    return await body(t)
  } finally {
    await t.close()
    await factory.close()
  }
}

beforeAll(async () => {
  await ready()
  dir = await mkdtemp(join(tmpdir(), 'weft-orchestrate-'))
  // Two organisations in two folders: acme grants globex its `orders`, read + write.
  const acmeFolder = new LevelStoreFactory({ path: join(dir, 'acme') })
  const globexFolder = new LevelStoreFactory({ path: join(dir, 'globex') })
  const acme = await new TenantFactory({ storeFactory: acmeFolder }).createTenant({
    tenantId: 'acme',
    password: 'acme password',
  })
  const globex = await new TenantFactory({ storeFactory: globexFolder }).createTenant({
    tenantId: 'globex',
    password: 'globex password',
  })
  await acme.keyBag.generateKey('orders-key')
  const orders = await acme.openDB('orders', { keyId: 'orders-key' })
  await orders.createDocument({ data: { item: 'oak table' } })
  const offer = await acme.sharing.share({
    partner: globex.publicProfile(),
    databases: ['orders'],
    keys: ['orders-key'],
    permissions: ['read', 'write'],
  })
  await globex.sharing.accept(offer)
  grantId = offer.grant.id
  await acme.close()
  await globex.close()
  await acmeFolder.close()
  await globexFolder.close()
  await writeFile(join(dir, 'globex.pw'), 'globex password\n')
  config = join(dir, 'weft.config.json')
  await writeFile(
    config,
    JSON.stringify({
      intervalMs: 200,
      tenants: [
        { id: 'acme', data: 'acme', passwordEnv: 'ACME_PASSWORD' },
        { id: 'globex', data: 'globex', passwordFile: 'globex.pw' },
      ],
      relationships: [
        {
          id: 'acme-globex/orders',
          local: 'acme',
          partner: { tenant: 'globex' },
          databases: ['orders'],
          grant: grantId,
        },
      ],
    }),
  )
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('weft orchestrate', () => {
  it('--once runs a round under the grant: the partner receives the documents', async () => {
    const r = await weft(['orchestrate', '--config', config, '--once', '--json'], { ACME_PASSWORD: 'acme password' })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ synced: ['acme-globex/orders'], failed: [] })
    expect(r.stderr).toContain('"event":"sync-completed"')
    const items = await inFolder(join(dir, 'globex'), 'globex', async (t) => {
      const db = await t.openDB('orders')
      return Promise.all((await db.getAllDocumentIds()).map(async (id) => (await db.getDocument(id))!.toJSON()))
    })
    expect(items).toEqual([{ item: 'oak table' }])
  })

  it('runs rounds until SIGTERM, logs each, and exits 0 after stopping cleanly', async () => {
    const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'orchestrate', '--config', config], {
      env: { ...process.env, ACME_PASSWORD: 'acme password' },
    })
    let err = ''
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString()
        // Two rounds logged: it keeps running on its interval.
        if ((err.match(/acme-globex\/orders: sent/g) ?? []).length >= 2) resolve()
      })
      child.once('exit', (code) => reject(new Error(`exited early (${code}): ${err}`)))
    })
    child.kill('SIGTERM')
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(0)
    expect(err).toContain('SIGTERM: stopping')
    expect(err).toContain('stopped')
  })

  it('a bad config is a usage error naming the field; a missing password source too', async () => {
    const bad = join(dir, 'bad.json')
    await writeFile(
      bad,
      JSON.stringify({
        tenants: [{ id: 'acme', data: 'acme', passwordEnv: 'X' }],
        relationships: [{ id: 'r', local: 'nobody', partner: { tenant: 'acme' }, databases: ['orders'] }],
      }),
    )
    const r = await weft(['orchestrate', '--config', bad, '--once'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('WEFT_CLI_BAD_CONFIG')
    expect(r.stderr).toContain('relationships[0].local')
    const noPassword = await weft(['orchestrate', '--config', config, '--once'])
    expect(noPassword.code).toBe(2)
    expect(noPassword.stderr).toContain('WEFT_CLI_NO_PASSWORD')
    expect(noPassword.stderr).toContain('ACME_PASSWORD')
  })

  it('a relationship takes attachments eager or lazy, and nothing else', () => {
    const withAttachments = (attachments: unknown) => ({
      tenants: [{ id: 'acme', data: 'acme', passwordEnv: 'X' }],
      relationships: [
        {
          id: 'r',
          local: 'acme',
          partner: { relay: 'https://relay.example', grant: 'g' },
          databases: ['orders'],
          attachments,
        },
      ],
    })
    expect(parseOrchestrateConfig(withAttachments('lazy'), config).relationships[0]!.attachments).toBe('lazy')
    expect(parseOrchestrateConfig(withAttachments(undefined), config).relationships[0]).not.toHaveProperty(
      'attachments',
    )
    expect(() => parseOrchestrateConfig(withAttachments('sometimes'), config)).toThrow(
      expect.objectContaining({
        code: 'WEFT_CLI_BAD_CONFIG',
        message: expect.stringContaining('relationships[0].attachments'),
      }),
    )
  })

  it('a revoked grant fails the round with its code: exit 1', async () => {
    await inFolder(join(dir, 'acme'), 'acme', (t) => t.sharing.revoke(grantId))
    const r = await weft(['orchestrate', '--config', config, '--once', '--json'], { ACME_PASSWORD: 'acme password' })
    expect(r.code).toBe(1)
    const result = JSON.parse(r.stdout) as { failed: { id: string; code: string }[] }
    expect(result.failed[0]).toMatchObject({ id: 'acme-globex/orders' })
    expect(result.failed[0]!.code).toMatch(/^WEFT_/)
  })
})
