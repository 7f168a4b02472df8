import type { Authenticator } from '../Authenticator.ts'
import type { Mailbox } from '../Mailbox.ts'
import type { MemberRegistry } from '../MemberRegistry.ts'
import type { TenantDirectory } from '../TenantDirectory.ts'
import type { TenantGenerations } from '../TenantGenerations.ts'
import type { UsageLedger } from '../UsageLedger.ts'
import type { Tenancy } from '../tenancy/Tenancy.ts'
import { ClusterStats } from './ClusterStats.ts'
import type { Cluster } from './openCluster.ts'

/** What a server process caches of tenants, and its open sockets: what the cluster keeps right. */
export interface ClusterMember {
  readonly tenancy: Tenancy
  readonly registry: MemberRegistry
  readonly directory: TenantDirectory
  readonly generations: TenantGenerations
  readonly auth: Authenticator
  readonly usage: UsageLedger
  readonly mailbox: Mailbox
  /** The open sockets' tenants, and a way to have one check its standing again. */
  readonly sockets: () => Iterable<{ readonly tenant: string; recheck(): Promise<void> }>
  readonly log: (message: string, error?: unknown) => void
}

/**
 * Joins a server process to the others over its storage: its catalogue shares their sections,
 * what another process changes drops what this one caches of that tenant (and re-checks the
 * tenant's sockets here), a gap on the bus re-checks every socket, events emitted here reach the
 * others' subscribers, and request counts, sockets and streams are written for every process's
 * statistics. Resolves with the statistics once the bus listens.
 */
export async function joinCluster(cluster: Cluster, m: ClusterMember): Promise<ClusterStats> {
  m.tenancy.share(cluster.state)
  const socketsOf = (tenant: string) => [...m.sockets()].filter((c) => c.tenant === tenant)
  const stats = new ClusterStats(cluster.state.kv, {
    process: cluster.process,
    counters: m.tenancy.counters,
    live: (tenant) => socketsOf(tenant).length,
    streams: (tenant) => m.tenancy.events.listeners(tenant),
    held: () => new Set([...[...m.sockets()].map((c) => c.tenant), ...m.tenancy.events.tenants()]),
    flushMs: cluster.statsIntervalMs,
    log: m.log,
  })
  m.tenancy.events.onEvery((e) => {
    void cluster.state.publishEvent(e).catch((err: unknown) => m.log('could not share an event', err))
  })
  cluster.state.attach({
    invalidate: async (tenant) => {
      m.registry.invalidate(tenant)
      m.directory.invalidate(tenant)
      m.generations.invalidate(tenant)
      m.auth.forget(tenant)
      m.usage.forget(tenant)
      m.mailbox.forget(tenant)
      const before = m.tenancy.catalogue.peek(tenant)
      const after = await m.tenancy.catalogue.reload(tenant)
      // Held for a move, or moved: what this process holds open of it is closed, and placed again when next opened.
      if (
        before?.moving !== undefined ||
        after?.moving !== undefined ||
        (before && before.isolation !== after?.isolation)
      )
        await m.tenancy.closeStorage(tenant)
      // Its data is kept under its storage name, which a reset changes.
      const storage = await m.generations.storageName(tenant)
      m.usage.forget(storage)
      m.mailbox.forget(storage)
      for (const c of socketsOf(tenant)) void c.recheck()
    },
    event: (tenant, json) => void m.tenancy.events.relay(tenant, json),
    gap: () => {
      for (const c of m.sockets()) void c.recheck()
    },
    log: m.log,
  })
  await cluster.bus.ready()
  return stats
}
