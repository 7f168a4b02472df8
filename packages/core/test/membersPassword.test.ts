import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, ready } from '../src/index.ts'
import { firstDevice, joinDevice, PASSWORD } from './helpers/devices.ts'

beforeAll(ready)

describe('changePassword', () => {
  it("changes this device's record only: the old password then fails and the new one opens", async () => {
    const a = await firstDevice('acme')
    const b = await joinDevice(a.tenant, { role: 'writer' })
    const doc = await (await b.tenant.openDB('notes')).createDocument({ data: { n: 1 } })
    await expect(b.tenant.changePassword('not the password', 'new-pw')).rejects.toMatchObject({
      code: ErrorCodes.WRONG_PASSWORD,
    })
    await b.tenant.changePassword(PASSWORD, 'new-pw')
    await b.tenant.close()
    await expect(b.factory.openTenant('acme', { password: PASSWORD })).rejects.toMatchObject({
      code: ErrorCodes.WRONG_PASSWORD,
    })
    const again = await b.factory.openTenant('acme', { password: 'new-pw' })
    expect((await (await again.openDB('notes')).getDocument(doc.getId()))?.getData().n).toBe(1)
    expect((await again.members.self())?.role).toBe('writer')
    // The other device's password is untouched.
    await a.tenant.close()
    await expect(a.factory.openTenant('acme', { password: PASSWORD })).resolves.toBeDefined()
  })
})
