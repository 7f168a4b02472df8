import { randomBytes, toBase64Url, type ClusterBus, type KeyValueStore, type StoreFactory } from '@weft/core/backend'
import { ClusterState } from './ClusterState.ts'
import { SharedSessions } from './SharedSessions.ts'

/** The `cluster` server option: how several server processes over one storage act as one server. */
export interface ClusterOptions {
  /**
   * The bus to the other processes. Default: the storage's own (`storeFactory.clusterBus()`,
   * PostgreSQL's LISTEN/NOTIFY). The server closes it when it closes.
   */
  readonly bus?: ClusterBus
  /** How often each process writes its request counts and live connections for the others, ms. Default 1,000. */
  readonly statsIntervalMs?: number
}

/** What one server process shares with the others. */
export interface Cluster {
  readonly state: ClusterState
  readonly sessions: SharedSessions
  readonly bus: ClusterBus
  /** This process's id among them (random at each start). */
  readonly process: string
  readonly statsIntervalMs: number
  close(): Promise<void>
}

/**
 * The server's part in a cluster: with a bus (given, or the storage's), shared sign-ins, versions
 * and locks in the server's record store. Undefined when the storage has no bus (LevelDB, memory:
 * one process) or `option` is `false` (one process on PostgreSQL, which then skips the shared steps).
 */
export async function openCluster(
  option: ClusterOptions | false | undefined,
  factory: StoreFactory,
  kv: KeyValueStore,
  context: { serverId: string; challengeTtlMs: number },
): Promise<Cluster | undefined> {
  if (option === false) return undefined
  const bus = option?.bus ?? factory.clusterBus?.()
  if (!bus) return undefined
  const state = new ClusterState(kv, bus)
  const sessions = await SharedSessions.open(kv, context.serverId, context.challengeTtlMs)
  return {
    state,
    sessions,
    bus,
    process: toBase64Url(randomBytes(12)),
    statsIntervalMs: option?.statsIntervalMs ?? 1_000,
    close: async () => {
      state.close()
      sessions.close()
      await bus.close()
    },
  }
}
