import type { Tenant } from '@weft/core'
import { LiveSync, RemoteChangeStore } from '@weft/client'
import { WebSocket } from 'ws'
import { connect } from './directoryDevices.ts'

/**
 * A device's live sync of `notes` through the relay at `url`, carrying the database's presence
 * (and, with `tenantWide`, the tenant's too); resolves once it is live.
 */
export async function linkedPresence(url: string, tenant: Tenant, options: { tenantWide?: boolean } = {}) {
  const db = await tenant.openDB('notes')
  const live = new LiveSync({
    local: db,
    remote: new RemoteChangeStore({ connection: connect(url, tenant), db: 'notes' }),
    webSocket: WebSocket,
    backoff: { initialMs: 50, maxMs: 500 },
    presence: options.tenantWide ? [db.presence, tenant.presence] : db.presence,
  })
  live.start()
  await live.whenReady()
  return live
}
