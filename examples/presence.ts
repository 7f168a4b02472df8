// Presence: who is here, and where. A user's laptop and phone (two devices of one tenant) link a
// database through a relay and announce a small state each (a name, a cursor); each sees the
// other, moves are seen as they happen, and a device that leaves is gone. A tablet linked in
// process to the laptop takes part the same way. The states are signed by each device and
// encrypted under the database's key: the relay passes them on and keeps none.
import { linkPresence, MemoryStoreFactory, TenantFactory, type Presence } from '@weft/core'
import { LiveSync, registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'
import { WebSocket } from 'ws'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

interface Here {
  readonly name: string
  readonly cursor: number
}

export interface PresenceResult {
  /** What each device saw of the others once all were here, by name. */
  readonly laptopSees: string[]
  readonly phoneSees: string[]
  readonly tabletSees: string[]
  /** The phone's cursor as the laptop saw it after the phone moved. */
  readonly phoneCursorOnLaptop: number
  /** Who the laptop saw after the phone left. */
  readonly laptopSeesAfterLeave: string[]
  /** Entries the relay holds for the database: presence is stored nowhere. */
  readonly relayEntries: number
}

const password = 'correct horse battery staple'

export async function run(options: ExampleOptions = {}): Promise<PresenceResult> {
  const log = options.log ?? (() => {})
  const relay = await WeftServer.start()
  const factoryOf = () => new TenantFactory({ storeFactory: new MemoryStoreFactory(), ...options })
  const links: LiveSync[] = []
  try {
    // The laptop creates the tenant and registers it on the relay; the phone and tablet join it.
    const laptop = await factoryOf().createTenant({ tenantId: `studio-${Date.now()}`, password })
    await registerMembers({ url: relay.url, tenant: laptop.id, admin: laptop.serverSigner() })
    const join = async (userName: string) => {
      const factory = factoryOf()
      const request = await factory.createJoinRequest({ tenantId: laptop.id, userName, password })
      return factory.joinTenant(request, await laptop.approveJoinRequest(request), { password })
    }
    const phone = await join('phone')
    const tablet = await join('tablet')

    // Laptop and phone sync `drafts` through the relay, carrying its presence on the same socket.
    const presences: Presence<Here>[] = []
    for (const device of [laptop, phone, tablet]) {
      const db = await device.openDB('drafts')
      presences.push(db.presence as Presence<Here>)
      if (device === tablet) continue
      const connection = new ServerConnection({ url: relay.url, tenant: device.id, key: device.serverSigner() })
      const live = new LiveSync({
        local: db,
        remote: new RemoteChangeStore({ connection, db: 'drafts' }),
        webSocket: WebSocket,
        presence: db.presence,
      })
      live.start()
      await live.whenReady()
      links.push(live)
    }
    const [onLaptop, onPhone, onTablet] = presences as [Presence<Here>, Presence<Here>, Presence<Here>]
    // The tablet is in the same process as the laptop: linked directly.
    linkPresence(onLaptop, onTablet)

    onLaptop.set({ name: 'laptop', cursor: 0 })
    onPhone.set({ name: 'phone', cursor: 12 })
    onTablet.set({ name: 'tablet', cursor: 3 })
    const names = (p: Presence<Here>) =>
      p
        .peers()
        .map((x) => x.state.name)
        .sort()
    await until(() => names(onLaptop).length === 2 && names(onPhone).length === 1 && names(onTablet).length === 1)
    const seen = { laptopSees: names(onLaptop), phoneSees: names(onPhone), tabletSees: names(onTablet) }
    log(`laptop sees ${seen.laptopSees.join(', ')}; phone sees ${seen.phoneSees}; tablet sees ${seen.tabletSees}`)

    // The phone moves its cursor; the laptop sees it.
    onPhone.set({ name: 'phone', cursor: 40 })
    const cursorOf = () => onLaptop.peers().find((p) => p.state.name === 'phone')?.state.cursor
    await until(() => cursorOf() === 40)
    const phoneCursorOnLaptop = cursorOf() ?? -1
    log(`the laptop sees the phone at ${phoneCursorOnLaptop}`)

    // The phone leaves: the laptop stops listing it at once (a device that just vanishes goes after the timeout).
    onPhone.leave()
    await until(() => !names(onLaptop).includes('phone'))
    log(`after the phone left, the laptop sees ${names(onLaptop).join(', ')}`)

    const head = await new RemoteChangeStore({
      connection: new ServerConnection({ url: relay.url, tenant: laptop.id, key: laptop.serverSigner() }),
      db: 'drafts',
    }).head()
    log(`the relay holds ${head.seq} entries of drafts`)
    const result = {
      ...seen,
      phoneCursorOnLaptop,
      laptopSeesAfterLeave: names(onLaptop),
      relayEntries: head.seq,
    }
    for (const t of [laptop, phone, tablet]) await t.close()
    return result
  } finally {
    for (const l of links) await l.close()
    await relay.close()
  }
}

/** Polls `check` every 20 ms, for at most 10 seconds. */
async function until(check: () => boolean): Promise<void> {
  for (const end = Date.now() + 10_000; !check();) {
    if (Date.now() > end) throw new Error('presence did not arrive in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

runMain(import.meta, run)
