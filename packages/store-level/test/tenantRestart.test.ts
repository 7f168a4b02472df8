import { ErrorCodes, isWeftError, ready, TenantFactory, TEST_KDF, type DocData } from '@weft/core'
import { Level } from 'level'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LevelStoreFactory } from '../src/index.ts'
import { runFixture } from './helpers/runFixture.ts'
import { tempDir } from './helpers/tempDir.ts'

/** Every key and value in the folder's LevelDB database, to compare before and after. */
async function rawContents(path: string): Promise<Map<string, string>> {
  const db = new Level<string, Uint8Array>(path, { valueEncoding: 'view' })
  try {
    const out = new Map<string, string>()
    for await (const [k, v] of db.iterator()) out.set(k, Buffer.from(v).toString('hex'))
    return out
  } finally {
    await db.close()
  }
}

async function documents(factory: TenantFactory, password: string): Promise<Record<string, DocData>> {
  const tenant = await factory.openTenant('acme', { password })
  const db = await tenant.openDB('notes')
  const out: Record<string, DocData> = {}
  for (const id of await db.getAllDocumentIds()) out[id] = (await db.getDocument(id))!.getData()
  await tenant.close()
  return out
}

describe('tenants survive a restart', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  beforeAll(ready)
  beforeEach(async () => {
    dir = await tempDir()
  })
  afterEach(async () => {
    await dir.remove()
  })

  it('reopens a tenant another process created, with its documents; a wrong password fails and changes nothing', async () => {
    const child = runFixture('createTenant.ts', [dir.path, 'acme', 'correct horse'])
    const { code, stderr } = await child.exited
    expect(code, stderr).toBe(0)
    const expected = JSON.parse(child.lines.find((l) => l.startsWith('docs '))!.slice(5)) as Record<string, DocData>
    expect(Object.keys(expected)).toHaveLength(11)

    const before = await rawContents(dir.path)
    let factory = new TenantFactory({ storeFactory: new LevelStoreFactory({ path: dir.path }), kdf: TEST_KDF })
    await expect(factory.openTenant('acme', { password: 'wrong horse' })).rejects.toSatisfy((e) =>
      isWeftError(e, ErrorCodes.WRONG_PASSWORD),
    )
    await expect(factory.openTenant('nobody', { password: 'correct horse' })).rejects.toSatisfy((e) =>
      isWeftError(e, ErrorCodes.TENANT_NOT_FOUND),
    )
    await factory.close()
    expect(await rawContents(dir.path)).toEqual(before)

    factory = new TenantFactory({ storeFactory: new LevelStoreFactory({ path: dir.path }), kdf: TEST_KDF })
    expect(await documents(factory, 'correct horse')).toEqual(expected)

    // Writing continues after the restart, and survives the next one.
    const tenant = await factory.openTenant('acme', { password: 'correct horse' })
    const db = await tenant.openDB('notes')
    const doc = await db.createDocument({ data: { title: 'after restart' } })
    await factory.close()
    factory = new TenantFactory({ storeFactory: new LevelStoreFactory({ path: dir.path }), kdf: TEST_KDF })
    expect(await documents(factory, 'correct horse')).toEqual({
      ...expected,
      [doc.getId()]: { title: 'after restart' },
    })
    await factory.close()
  })
})
