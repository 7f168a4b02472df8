import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { DIRECTORY_DB, ready, type Tenant } from '../src/index.ts'
import { toBase64Url } from '../src/backend.ts'
import { foldDirectory, readRecords, verifyMemberRecord, type DirectoryState } from '../src/members/index.ts'
import { deviceId, firstDevice, joinDevice, syncDirectory } from './helpers/devices.ts'

beforeAll(ready)

/** Users and devices of a folded directory, as plain comparable data. */
function summary(state: DirectoryState): unknown {
  const users = [...state.users.values()].map((u) => [u.id, u.role, u.removed]).sort()
  const devices = [...state.devices.values()]
    .map((d) => [d.id, d.userId, d.removed, d.trust.mode, [...d.trust.hashes].sort()])
    .sort()
  return { users, devices, refused: state.refused.map((r) => r.id).sort() }
}

async function recordsOf(tenant: Tenant) {
  const store = (await tenant.openDB(DIRECTORY_DB)).getStore()
  const { records } = await readRecords(store, await store.getAllChangeHashes(), tenant.keyBag, tenant.id)
  return records.map((r) => verifyMemberRecord(r, tenant.id))
}

describe('the directory fold', () => {
  it('gives the same directory whatever order the records arrive in', async () => {
    const a = await firstDevice('acme')
    const b = await joinDevice(a.tenant, { role: 'admin' })
    const c = await joinDevice(a.tenant, { role: 'writer' })
    const d = await joinDevice(a.tenant, { role: 'reader' })
    await (await c.tenant.openDB('notes')).createDocument({ data: { n: 1 } })
    await (await a.tenant.openDB('notes')).pullChangesFrom(await c.tenant.openDB('notes'))
    await a.tenant.members.removeDevice(await deviceId(c.tenant))
    await syncDirectory(a.tenant, b.tenant)
    await b.tenant.members.setRole((await d.tenant.members.self())!.userId, 'writer') // a record by the second admin
    await syncDirectory(a.tenant, b.tenant)
    const records = await recordsOf(a.tenant)
    const root = a.tenant.signingKey
    const expected = summary(foldDirectory(root, records))
    await fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: records.length, maxLength: records.length }), (keys) => {
        const shuffled = records
          .map((r, i) => ({ r, k: keys[i]! }))
          .sort((x, y) => x.k - y.k)
          .map((x) => x.r)
        expect(summary(foldDirectory(root, [...shuffled, ...shuffled.slice(0, 2)]))).toEqual(expected)
      }),
    )
  })

  it('two admins change the directory offline; after a sync both hold the same directory', async () => {
    const a = await firstDevice('acme')
    const b = await joinDevice(a.tenant, { role: 'admin' })
    const c = await joinDevice(a.tenant, { role: 'writer' })
    const d = await joinDevice(a.tenant, { role: 'writer' })
    await syncDirectory(a.tenant, b.tenant)
    // Offline: A removes C while B demotes D and removes A.
    await a.tenant.members.removeDevice(await deviceId(c.tenant))
    await b.tenant.members.setRole((await d.tenant.members.self())!.userId, 'reader')
    await b.tenant.members.removeDevice(await deviceId(a.tenant))
    await syncDirectory(a.tenant, b.tenant)
    expect(summary(a.tenant.members.state)).toEqual(summary(b.tenant.members.state))
    const strip = async (t: Tenant) =>
      (await t.members.list()).map((u) => ({ ...u, devices: u.devices.map(({ self: _self, ...x }) => x) }))
    expect(await strip(b.tenant)).toEqual(await strip(a.tenant))
    // A's removal of C came first in the order (A was still an admin), then B's changes.
    const devices = new Map(
      (await strip(a.tenant)).flatMap((u) => u.devices.map((x) => [x.deviceId, { ...x, role: u.role }])),
    )
    expect(devices.get(await deviceId(c.tenant))?.removed).toBe(true)
    expect(devices.get(await deviceId(d.tenant))?.role).toBe('reader')
    expect(devices.get(toBase64Url(a.tenant.signingKey))?.removed).toBe(true)
    expect(await a.tenant.members.self()).toBeUndefined()
  })
})
