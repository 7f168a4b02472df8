/**
 * `npm run bench -- scale` (issue 14): relay processes over one PostgreSQL, each figure beside a
 * reference from the same run. Entries stored and fanned out through 1, 2 and 4 processes; live
 * push latency with 1,000 clients on 1 and 2 processes beside a loopback round trip; memory per
 * client; PostgreSQL connections per process beside the pool bound; what LISTEN/NOTIFY carries;
 * and the shard count docs/scale-out.md derives from these figures for 10M tenants.
 */
import { fmtRate, progress, type Figure } from './report.ts'
import { openBenchDatabase } from './scaleCluster.ts'
import { shardsFor, type ShardModelInput } from './scaleModel.ts'
import { benchScaleLatency } from './scaleLatency.ts'
import { benchScaleNotify } from './scaleNotify.ts'
import { benchScaleThroughput } from './scaleThroughput.ts'

/**
 * The load docs/scale-out.md plans for: 10M tenants, 5% of them writing at the busiest hour, one
 * entry every 5 s each, every push a single entry (one notification each, the worst case), shards
 * planned at half of what one PostgreSQL was measured to carry, and at most 100,000 tenants a shard.
 */
export const PLANNED_LOAD = {
  tenants: 10_000_000,
  activeShare: 0.05,
  entriesPerActiveTenantPerSecond: 0.2,
  entriesPerPush: 1,
  utilisation: 0.5,
  maxTenantsPerShard: 100_000,
} as const satisfies Omit<ShardModelInput, 'measuredEntriesPerSecond' | 'measuredNotificationsPerSecond'>

export async function benchScale(): Promise<Figure[]> {
  progress('scale: starting PostgreSQL')
  const db = await openBenchDatabase('scale')
  try {
    const notify = await benchScaleNotify(db)
    const throughput = await benchScaleThroughput(db)
    const latency = await benchScaleLatency(db)
    const stored = Math.max(...throughput.points.map((p) => p.storedPerSecond))
    const notifications = Math.max(...notify.points.map((p) => p.deliveredPerSecond))
    const model = shardsFor({
      ...PLANNED_LOAD,
      measuredEntriesPerSecond: stored,
      measuredNotificationsPerSecond: notifications,
    })
    const shardFigure: Figure = {
      name: `Shards for ${PLANNED_LOAD.tenants.toLocaleString('en')} tenants at ${fmtRate(model.entriesPerSecond, 'entries')} (model)`,
      value: `${model.shards.toLocaleString('en')} PostgreSQL shards`,
      reference: `${fmtRate(stored, 'entries')} and ${fmtRate(notifications, 'notifications')} per PostgreSQL, measured`,
      ratio: model.shards,
      target: 'reported',
      met: true,
      notes: [
        `${(PLANNED_LOAD.activeShare * 100).toFixed(0)}% of tenants writing ${PLANNED_LOAD.entriesPerActiveTenantPerSecond} entries/s each, ${PLANNED_LOAD.entriesPerPush} entry a push, planned at ${PLANNED_LOAD.utilisation * 100}% of the measured ceilings, at most ${PLANNED_LOAD.maxTenantsPerShard.toLocaleString('en')} tenants a shard`,
        `shards for writes ${model.shardsForWrites}, for notifications ${model.shardsForNotifications}, for tenant count ${model.shardsForTenants}: bound by ${model.boundBy}; ${model.tenantsPerShard.toLocaleString('en')} tenants a shard`,
        'measured on this 2-core machine with relays, clients and PostgreSQL sharing the cores: a dedicated database server carries more',
      ],
    }
    return [...throughput.figures, ...latency, ...notify.figures, shardFigure]
  } finally {
    await db.drop()
  }
}
