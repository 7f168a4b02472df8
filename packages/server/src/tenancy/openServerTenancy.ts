import type { KeyValueStore, StoreFactory } from '@weft/core/backend'
import type { Authenticator } from '../Authenticator.ts'
import { addressOf } from '../http.ts'
import type { LiveSockets } from '../LiveSockets.ts'
import type { RequestRates } from '../RequestRates.ts'
import type { TenantQuota, WeftServerOptions } from '../ServerOptions.ts'
import type { TenantState } from '../TenantState.ts'
import type { AdminContext } from './handleAdmin.ts'
import { Tenancy } from './Tenancy.ts'

/** The server's parts its tenancy and admin API work over. */
export interface ServerTenancyParts {
  readonly options: Pick<WeftServerOptions, 'tenancy'>
  readonly kv: KeyValueStore
  readonly factory: StoreFactory
  readonly maxEntryBytes: number
  readonly tenants: TenantState
  readonly live: LiveSockets
  readonly rates: RequestRates
  readonly auth: Authenticator
  /** The tenant's limits (`WEFT_SERVER_ERROR` when the operator's `forTenant` fails). */
  readonly quotaFor: (tenant: string) => TenantQuota
  readonly log: (message: string, error?: unknown) => void
}

/**
 * Opens a server's tenancy over its records, stores and sockets (what the tenancy erases or
 * suspends, the server forgets and its sockets check again), and the context its admin API
 * serves from: the tenancy, the tenants' records, live sockets, rates and sessions.
 */
export async function openServerTenancy(p: ServerTenancyParts): Promise<{ tenancy: Tenancy; admin: AdminContext }> {
  const { tenants, live } = p
  const recheckLive = (tenant: string) => live.recheck(tenant)
  const tenancy = await Tenancy.open(p.options.tenancy ?? {}, {
    kv: p.kv,
    factory: p.factory,
    maxEntryBytes: p.maxEntryBytes,
    open: (tenant, db) => tenants.stores.open(tenant, db),
    generations: tenants.generations,
    recheckLive,
    forget: (tenant) => tenants.forget(tenant),
    log: p.log,
  })
  const admin: AdminContext = {
    tenancy,
    usage: tenants.usage,
    registry: tenants.registry,
    mailbox: tenants.mailbox,
    quotaFor: p.quotaFor,
    liveConnections: (tenant) => live.countOf(tenant),
    directory: tenants.directory,
    times: tenants.times,
    socketsByKey: (tenant) => live.countByKey(tenant),
    recheckLive,
    log: p.log,
    takeAddress: (req) => p.rates.takeAddress(addressOf(req)),
    sessionTenant: async (token) => (await p.auth.authenticate(token)).tenant,
  }
  return { tenancy, admin }
}
