import type { Mailbox } from '../Mailbox.ts'
import type { MemberRegistry } from '../MemberRegistry.ts'
import type { TenantQuota } from '../ServerOptions.ts'
import type { UsageLedger } from '../UsageLedger.ts'
import type { Tenancy } from './Tenancy.ts'
import type { SharedFigures } from '../cluster/ClusterStats.ts'

/** Where a tenant's statistics come from. */
export interface StatsSources {
  readonly tenancy: Tenancy
  readonly usage: UsageLedger
  readonly registry: MemberRegistry
  readonly mailbox: Mailbox
  readonly quotaFor: (tenant: string) => TenantQuota
  /** Open WebSocket clients of the tenant. */
  readonly liveConnections: (tenant: string) => number
  readonly recheckLive: (tenant: string) => void
  readonly log: (message: string, error?: unknown) => void
  /** Requests, sockets and streams summed over the processes sharing the storage; absent: this process's. */
  readonly shared?: (tenant: string) => Promise<SharedFigures>
}

/**
 * A tenant's statistics, as `GET /v1/tenants/:id/stats` answers them. People are not counted here
 * (the members listing shows device keys with their users) and grants cannot be (they travel
 * sealed): `members` and `grants` are `null`. Request counts, live connections and event streams
 * are this process's, or every process's when several share the storage.
 */
export async function tenantStats(s: StatsSources, tenant: string): Promise<unknown> {
  const record = await s.tenancy.catalogue.get(tenant)
  // Usage and mail are kept under the tenant's storage name (which a reset changes); registrations under its id.
  const storage = await s.tenancy.storageName(tenant)
  const used = await s.usage.usage(storage)
  const keys = await s.registry.usage(tenant)
  const mail = await s.mailbox.usage(storage)
  const q = s.quotaFor(tenant)
  const figures = s.shared
    ? await s.shared(tenant)
    : {
        requests: s.tenancy.counters.counts(tenant),
        liveConnections: s.liveConnections(tenant),
        eventStreams: s.tenancy.events.listeners(tenant),
      }
  const use = (n: number, limit: number) => ({ used: n, limit: Number.isFinite(limit) ? limit : null })
  return {
    tenant,
    status: record?.status ?? 'active',
    entries: used.entries,
    bytes: used.bytes,
    databases: used.databases,
    devices: keys.members,
    members: null,
    grants: { issued: null, received: null },
    liveConnections: figures.liveConnections,
    eventStreams: figures.eventStreams,
    requests: figures.requests,
    quota: {
      bytes: use(used.bytes, q.maxBytesPerTenant),
      entries: use(used.entries, q.maxEntriesPerTenant),
      databases: use(used.databases, q.maxDatabasesPerTenant),
      keys: use(keys.members, q.maxMembersPerTenant),
      mailMessages: use(mail.messages, q.maxMailMessagesPerTenant),
      mailBytes: use(mail.bytes, q.maxMailBytesPerTenant),
    },
  }
}
