import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelStoreFactory } from '@weft/store-level'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ready, TenantFactory, TEST_KDF } from '@weft/core'
import {
  contents,
  deviceId,
  firstDevice,
  joinDevice,
  PASSWORD,
  syncDevices,
} from '../packages/core/test/helpers/devices.ts'

beforeAll(ready)

const folders: string[] = []
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0)) await c()
  for (const f of folders.splice(0)) await rm(f, { recursive: true, force: true })
})

async function levelStorage(): Promise<LevelStoreFactory> {
  const path = await mkdtemp(join(tmpdir(), 'weft-members-'))
  folders.push(path)
  const storage = new LevelStoreFactory({ path })
  closers.push(() => storage.close())
  return storage
}

describe('devices on LevelDB', () => {
  it('two LevelDB devices edit offline and converge; a removal holds after both restart', async () => {
    const a = await firstDevice('acme', await levelStorage())
    const b = await joinDevice(a.tenant, { role: 'writer', storage: await levelStorage() })
    const dbA = await a.tenant.openDB('notes')
    const shared = await dbA.createDocument({ data: { title: 'shared' } })
    await syncDevices(a.tenant, b.tenant, ['notes'])
    await dbA.changeDoc(shared.getId(), (d) => void (d.getData().a = 1))
    await (await b.tenant.openDB('notes')).changeDoc(shared.getId(), (d) => void (d.getData().b = 2))
    await syncDevices(a.tenant, b.tenant, ['notes'])
    expect(await contents(b.tenant, 'notes')).toEqual(await contents(a.tenant, 'notes'))
    expect((await contents(a.tenant, 'notes'))[shared.getId()]).toEqual({ title: 'shared', a: 1, b: 2 })

    await a.tenant.members.removeDevice(await deviceId(b.tenant))
    const late = await (await b.tenant.openDB('notes')).createDocument({ data: { late: true } })
    await syncDevices(a.tenant, b.tenant, ['notes'])
    expect(await (await a.tenant.openDB('notes')).getDocumentStatus(late.getId())).toBe('untrusted')

    // Both restart from their folders: the directory and the cut-off are read before anything materialises.
    await a.tenant.close()
    await b.tenant.close()
    const a2 = await new TenantFactory({ storeFactory: a.storage, kdf: TEST_KDF }).openTenant('acme', {
      password: PASSWORD,
    })
    const b2 = await new TenantFactory({ storeFactory: b.storage, kdf: TEST_KDF }).openTenant('acme', {
      password: PASSWORD,
    })
    const dbA2 = await a2.openDB('notes')
    expect(await dbA2.getDocumentStatus(late.getId())).toBe('untrusted')
    expect((await dbA2.getDocument(shared.getId()))?.getData()).toEqual({ title: 'shared', a: 1, b: 2 })
    // The removed device, reopened, no longer materialises its own late write either.
    expect(await (await b2.openDB('notes')).getDocumentStatus(late.getId())).toBe('untrusted')
    expect(await b2.members.self()).toBeUndefined()
    await a2.close()
    await b2.close()
  })
})
