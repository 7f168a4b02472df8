import { ErrorCodes, ready, TenantFactory, TEST_KDF } from '@weft/core'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { LevelStoreFactory } from '../src/index.ts'
import { tempDir } from './helpers/tempDir.ts'

/** `openOrCreateTenant` is the start of an app: the same call on the first run and every later one. */
describe('TenantFactory.openOrCreateTenant on LevelDB', () => {
  const dirs: { path: string; remove: () => Promise<void> }[] = []
  const factoryAt = (path: string) =>
    new TenantFactory({ storeFactory: new LevelStoreFactory({ path }), kdf: TEST_KDF })

  beforeAll(() => ready())
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => d.remove()))
  })

  it('creates the tenant on the first run and opens the same one, with its documents, on the second', async () => {
    const dir = await tempDir('open-or-create-')
    dirs.push(dir)
    const path = dir.path

    const first = factoryAt(path)
    const created = await first.openOrCreateTenant({ tenantId: 'acme', password: 'pw' })
    const db = await created.openDB('orders')
    const doc = await db.createDocument({ data: { status: 'new' } })
    const identity = created.publicProfile()
    await first.close()

    const second = factoryAt(path)
    const opened = await second.openOrCreateTenant({ tenantId: 'acme', password: 'pw' })
    expect(opened.publicProfile()).toEqual(identity)
    const again = await (await opened.openDB('orders')).getDocument(doc.getId())
    expect(again?.getData()).toEqual({ status: 'new' })
    await second.close()
  })

  it('refuses a wrong password for an existing tenant and creates nothing', async () => {
    const dir = await tempDir('open-or-create-wrong-')
    dirs.push(dir)
    const path = dir.path
    const first = factoryAt(path)
    const identity = (await first.openOrCreateTenant({ tenantId: 'acme', password: 'pw' })).publicProfile()
    await first.close()

    const second = factoryAt(path)
    await expect(second.openOrCreateTenant({ tenantId: 'acme', password: 'not it' })).rejects.toMatchObject({
      code: ErrorCodes.WRONG_PASSWORD,
    })
    expect((await second.openTenant('acme', { password: 'pw' })).publicProfile()).toEqual(identity)
    await second.close()
  })

  it('creates a new tenant once when two calls race', async () => {
    const dir = await tempDir('open-or-create-race-')
    dirs.push(dir)
    const path = dir.path
    const factory = factoryAt(path)
    const [a, b] = await Promise.all([
      factory.openOrCreateTenant({ tenantId: 'acme', password: 'pw' }),
      factory.openOrCreateTenant({ tenantId: 'acme', password: 'pw' }),
    ])
    expect(a.publicProfile()).toEqual(b.publicProfile())
    await factory.close()
  })
})
