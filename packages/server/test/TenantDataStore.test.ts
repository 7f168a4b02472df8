import { MemoryStoreFactory } from '@weft/core/backend'
import { describe, expect, it } from 'vitest'
import { tenantDataOf } from '../src/tenancy/TenantDataStore.ts'

describe('the tenant data of a factory that lists stores by name', () => {
  it("lists a generation's databases apart from the tenant's, and erasing the tenant takes every generation", async () => {
    const factory = new MemoryStoreFactory()
    for (const name of ['acme/orders', 'acme/g1/notes', 'acme/g2/notes', 'acmecorp/orders'])
      await factory.openChangeStore(name)
    const data = tenantDataOf(factory)!
    expect(await data.listDatabases('acme')).toEqual(['orders'])
    expect(await data.listDatabases('acme/g1')).toEqual(['notes'])
    await data.eraseTenant('acme')
    expect(await factory.changeStoreNames('')).toEqual(['acmecorp/orders'])
  })
})
