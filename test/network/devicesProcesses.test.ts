import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready } from '@weft/core/backend'
import { WeftServer } from '@weft/server'
import { eventually } from './helpers/devices.ts'
import { DeviceProcess } from './helpers/deviceProcess.ts'

// Two, then three, devices of one tenant, each a Node process with its own LevelDB folder, syncing
// live through one relay server on loopback. The root device registers the tenant once (admitDevices); the
// others are admitted from the signed directory when they connect.
const DBS = ['_directory', 'notes']
const PASSWORD = 'device password'
let server: WeftServer
let dir: string
const devices: DeviceProcess[] = []

beforeAll(async () => {
  await ready()
  dir = await mkdtemp(join(tmpdir(), 'weft-devices-'))
  server = await WeftServer.start()
})
afterAll(async () => {
  await Promise.all(devices.map((d) => d.stop()))
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

function start(name: string, remote = false): DeviceProcess {
  const d = DeviceProcess.start({ dir: join(dir, name), url: server.url, remote })
  devices.push(d)
  return d
}

type Contents = Record<string, Record<string, unknown>>
const contentsOf = (d: DeviceProcess) => d.call<Contents>('contents', { db: 'notes' })

/** `admin` approves `device`'s join request, admits it on the server, and `device` joins. */
async function joinDevice(
  admin: DeviceProcess,
  device: DeviceProcess,
  tenantId: string,
  userName: string,
): Promise<string> {
  const { request, deviceId } = await device.call<{ request: string; deviceId: string }>('request', {
    tenantId,
    userName,
    password: PASSWORD,
  })
  expect(request).toMatch(/^weft:\/\/join\//)
  const { response } = await admin.call<{ response: string }>('approve', { request, role: 'writer' })
  await admin.call('admit', { deviceIds: [deviceId] })
  const joined = await device.call<{ deviceId: string }>('join', { request, response, password: PASSWORD })
  expect(joined.deviceId).toBe(deviceId)
  return deviceId
}

describe('devices in separate Node processes through a relay', () => {
  it('sync live, edit offline and converge; a third device joins later and catches up; a remote database follows live', async () => {
    const tenantId = 'acme-processes'
    const laptop = start('laptop')
    const phone = start('phone')
    const { deviceId: laptopId } = await laptop.call<{ deviceId: string }>('create', { tenantId, password: PASSWORD })
    await laptop.call('admit', { deviceIds: [laptopId] })
    await joinDevice(laptop, phone, tenantId, 'Ann')
    expect(laptop.pid).not.toBe(phone.pid)

    // Both online: a write in one process reaches the other live.
    await laptop.call('online', { dbs: DBS })
    await phone.call('online', { dbs: DBS })
    await Promise.all([laptop.call('whenReady'), phone.call('whenReady')])
    const plan = await laptop.call<string>('createDoc', { db: 'notes', data: { title: 'Plan' } })
    await eventually(async () => (await contentsOf(phone))[plan]?.title === 'Plan', 10_000, 'live delivery')

    // Both offline: each edits the same document and makes one of its own.
    await Promise.all([laptop.call('offline'), phone.call('offline')])
    await laptop.call('set', { db: 'notes', docId: plan, fields: { budget: 100 } })
    await phone.call('set', { db: 'notes', docId: plan, fields: { owner: 'Ann' } })
    const fromLaptop = await laptop.call<string>('createDoc', { db: 'notes', data: { by: 'laptop' } })
    const fromPhone = await phone.call<string>('createDoc', { db: 'notes', data: { by: 'phone' } })
    expect((await contentsOf(laptop))[fromPhone]).toBeUndefined()
    expect(await laptop.call('status')).toEqual({ _directory: 'offline', notes: 'offline' })

    // Back online: both converge on the merge of both edits.
    await Promise.all([laptop.call('online', { dbs: DBS }), phone.call('online', { dbs: DBS })])
    await Promise.all([laptop.call('whenReady'), phone.call('whenReady')])
    const merged = { title: 'Plan', budget: 100, owner: 'Ann' }
    await eventually(
      async () => isDeepStrictEqual(await contentsOf(laptop), await contentsOf(phone)),
      15_000,
      'convergence',
    )
    const both = await contentsOf(phone)
    expect(both[plan]).toEqual(merged)
    expect(both[fromLaptop]).toEqual({ by: 'laptop' })
    expect(both[fromPhone]).toEqual({ by: 'phone' })

    // A third device joins later, from the laptop, and catches up through the relay alone: the
    // others are offline by then.
    const tablet = start('tablet')
    await joinDevice(laptop, tablet, tenantId, 'Bob')
    await laptop.call('whenReady') // the directory record of the approval is on the relay
    await Promise.all([laptop.call('offline'), phone.call('offline')])
    await tablet.call('online', { dbs: DBS })
    await tablet.call('whenReady')
    await eventually(
      async () => isDeepStrictEqual(await contentsOf(tablet), both),
      15_000,
      'the late device catching up',
    )
    // ...and its own write reaches the others once they are back.
    await Promise.all([laptop.call('online', { dbs: DBS }), phone.call('online', { dbs: DBS })])
    const fromTablet = await tablet.call<string>('createDoc', { db: 'notes', data: { by: 'tablet' } })
    await eventually(async () => (await contentsOf(phone))[fromTablet]?.by === 'tablet', 10_000, "the tablet's write")

    // A device whose databases live on the server (RemoteStoreFactory): it follows the others live.
    const kiosk = start('kiosk', true)
    await joinDevice(laptop, kiosk, tenantId, 'Kiosk')
    expect(await kiosk.call('open', { db: '_directory' })).toMatch(/connecting|live/)
    expect(await kiosk.call('open', { db: 'notes' })).toMatch(/connecting|live/)
    await eventually(async () => (await kiosk.call('open', { db: 'notes' })) === 'live', 10_000, 'the feed')
    expect((await contentsOf(kiosk))[fromTablet]).toEqual({ by: 'tablet' })
    const t0 = Date.now()
    const fresh = await phone.call<string>('createDoc', { db: 'notes', data: { by: 'phone', late: true } })
    await phone.call('set', { db: 'notes', docId: plan, fields: { status: 'approved' } })
    await eventually(
      async () => {
        const c = await contentsOf(kiosk)
        return c[fresh]?.late === true && c[plan]?.status === 'approved'
      },
      10_000,
      "the phone's writes on the remote device, without reopening",
    )
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect((await contentsOf(kiosk))[plan]).toEqual({ ...merged, status: 'approved' })
  })
})
