import type { LiveSockets } from '../LiveSockets.ts'
import type { PresenceRelay } from '../presence/PresenceRelay.ts'
import { ClusterLivePush } from './ClusterLivePush.ts'
import type { ClusterStats } from './ClusterStats.ts'
import { joinCluster, type ClusterMember } from './joinCluster.ts'
import type { Cluster } from './openCluster.ts'

/** A server process's part in the cluster, besides what {@link joinCluster} keeps right: its sockets and presence. */
export interface LinkedMember extends Omit<ClusterMember, 'sockets'> {
  readonly live: LiveSockets
  readonly presence: PresenceRelay
}

/**
 * A server process joined to the others over the same storage: it listens to them (see
 * {@link joinCluster}), shares its request counts with them, wakes its own subscribers when they
 * store entries, and passes presence between its sockets and theirs.
 */
export class ClusterLink {
  /** Request counts, sockets and streams of every process, for the tenants' statistics. */
  readonly stats: ClusterStats
  /** Live push to and from the other processes. */
  readonly livePush: ClusterLivePush

  private constructor(stats: ClusterStats, livePush: ClusterLivePush) {
    this.stats = stats
    this.livePush = livePush
  }

  /** Joins `cluster`; resolves once the bus listens for the others' notices. */
  static async join(cluster: Cluster, member: LinkedMember): Promise<ClusterLink> {
    const { live, log } = member
    const stats = await joinCluster(cluster, { ...member, sockets: () => live.all() })
    // Live push: what other processes store wakes this one's subscribers (the cluster closes the bus).
    const livePush = new ClusterLivePush(
      cluster.bus,
      {
        wake: (tenant, db, upTo) => {
          for (const c of live.of(tenant)) c.poke(db, upTo)
        },
        wakeAll: () => {
          const notice = {}
          for (const c of live.all()) c.pokeAll(notice)
        },
      },
      { owned: false, log },
    )
    await livePush.ready()
    member.presence.link(cluster.bus)
    return new ClusterLink(stats, livePush)
  }

  /** Writes the last statistics and stops the live push (the cluster closes the bus). */
  async close(): Promise<void> {
    await this.stats.close()
    await this.livePush.close()
  }
}
