import { beforeAll, describe, expect, it } from 'vitest'
import { ready } from '../src/index.ts'
import { contents, firstDevice, joinDevice, syncDevices } from './helpers/devices.ts'

beforeAll(ready)

describe('devices of one tenant', () => {
  it('two devices edit offline, sync and converge; a third joins later and catches up', async () => {
    const a = await firstDevice('acme')
    const b = await joinDevice(a.tenant, { role: 'writer', userName: 'bob' })
    const dbA = await a.tenant.openDB('notes')
    const doc = await dbA.createDocument({ data: { title: 'plan', items: [] as string[] } })
    await syncDevices(a.tenant, b.tenant, ['notes'])
    const dbB = await b.tenant.openDB('notes')
    expect((await dbB.getDocument(doc.getId()))?.getData().title).toBe('plan')

    // Both edit offline: the same document and a new one each.
    await dbA.changeDoc(doc.getId(), (d) => void (d.getData().owner = 'ann'))
    await dbB.changeDoc(doc.getId(), (d) => void (d.getData().due = 'friday'))
    await dbA.createDocument({ data: { from: 'a' } })
    await dbB.createDocument({ data: { from: 'b' } })
    await syncDevices(a.tenant, b.tenant, ['notes'])

    const onA = await contents(a.tenant, 'notes')
    expect(Object.keys(onA)).toHaveLength(3)
    expect(onA[doc.getId()]).toMatchObject({ title: 'plan', owner: 'ann', due: 'friday' })
    expect(await contents(b.tenant, 'notes')).toEqual(onA)

    const c = await joinDevice(a.tenant, { role: 'writer', userName: 'carol' })
    await syncDevices(b.tenant, c.tenant, ['notes']) // from another member, not the admin
    expect(await contents(c.tenant, 'notes')).toEqual(onA)
    const roles = (await c.tenant.members.list()).map((m) => [m.name, m.role]).sort()
    expect(roles).toEqual([
      ['admin', 'admin'],
      ['bob', 'writer'],
      ['carol', 'writer'],
    ])
  })
})
