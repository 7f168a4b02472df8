/**
 * `npm run bench`: the figures of DESIGN.md §8, each beside a reference measured in the same run.
 * Benchmarks run one after another in this process; progress goes to stderr, results to stdout.
 * Not a test: vitest never collects this folder.
 */
import { availableParallelism, cpus } from 'node:os'
import { ready } from '@weft/core'
import { measureMachine } from './machineReferences.ts'
import { printFigures, printMachine, progress, type Figure } from './report.ts'
import { benchSnapshotLoad } from './snapshotLoad.ts'
import { benchSync } from './syncVsAutomergeRepo.ts'
import { benchWriteThroughput } from './writeThroughput.ts'
import { benchLevelStore } from './levelStore.ts'
import { benchIdbStore } from './idbStore.ts'
import { benchNetwork } from './network.ts'
import { benchOrchestrator } from './orchestrator.ts'
import { benchRelayRound } from './relayRound.ts'
import { benchBundle } from './bundle.ts'
import { benchReconcile } from './reconcile.ts'
import { benchQuery } from './query.ts'
import { benchGrowth } from './growth.ts'
import { benchGrowthFanout } from './growthFanout.ts'
import { benchPostgres } from './postgresStore.ts'
import { benchSharedState } from './sharedState.ts'
import { benchScale } from './scale.ts'
import { benchPresence } from './presence.ts'
import { benchAttachments } from './attachments.ts'
import { benchOpen } from './openDatabase.ts'
import { benchVerify } from './verify.ts'
import { benchAuthorRead } from './authorRead.ts'
import { benchSyncOverNetwork } from './syncOverNetwork.ts'
import { benchCurrentValueView } from './currentValueView.ts'
import { benchConcurrentApply } from './concurrentApply.ts'

/** `npm run bench -- sync network` runs only the named groups; no names runs them all. */
const GROUPS = [
  'write',
  'sync',
  'snapshot',
  'level',
  'idb',
  'network',
  'orchestrator',
  'reconcile',
  'bundle',
  'query',
  'growth',
  'open',
  'view',
  'postgres',
  'shared',
  'scale',
  'presence',
  'attachments',
  'verify',
  'netsync',
  'apply',
] as const
type Group = (typeof GROUPS)[number]
const asked = process.argv.slice(2).filter((a): a is Group => (GROUPS as readonly string[]).includes(a))
const runs = (g: Group): boolean => asked.length === 0 || asked.includes(g)

async function main(): Promise<void> {
  const started = performance.now()
  await ready()
  console.log(
    `Weft bench: Node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'})\n`,
  )

  progress('machine references')
  const machine = await measureMachine()

  const figures: Figure[] = []
  if (runs('write')) {
    progress('local write throughput')
    figures.push(await benchWriteThroughput())
  }
  if (runs('sync')) {
    progress('sync vs automerge-repo')
    figures.push(await benchSync(machine.find((m) => m.name.startsWith('Ed25519 verify'))!.perSecond))
  }
  if (runs('netsync')) {
    progress('sync over the network: Weft relay vs automerge-repo sync server, both on loopback')
    figures.push(await benchSyncOverNetwork())
  }
  if (runs('apply')) {
    progress('apply received changes to held documents: one author, two concurrent authors')
    figures.push(...(await benchConcurrentApply()))
  }
  if (runs('snapshot')) {
    progress('snapshot load')
    figures.push(...(await benchSnapshotLoad()))
  }
  if (runs('level')) {
    progress('LevelDB store')
    figures.push(...(await benchLevelStore()))
  }
  if (runs('idb')) {
    progress('IndexedDB store in Chromium')
    figures.push(...(await benchIdbStore()))
  }
  if (runs('network')) {
    progress('network: reconciliation, throughput through the server, memory per client')
    figures.push(...(await benchNetwork()).figures)
  }
  if (runs('orchestrator')) {
    progress('orchestrator rounds')
    figures.push(...(await benchOrchestrator()))
    progress('a grant through a relay server')
    figures.push(await benchRelayRound())
  }
  if (runs('bundle')) {
    progress('browser bundle size')
    figures.push(await benchBundle())
  }

  if (runs('reconcile')) {
    progress('reconcile cost per message at 10k, 100k and 1M entries (LevelDB)')
    figures.push(...(await benchReconcile()))
  }

  if (runs('query')) {
    progress('queries: an index against a scan, and an index loaded against one built, at 1k, 10k and 100k documents')
    figures.push(...(await benchQuery()))
  }
  if (runs('growth')) {
    progress('growth: the same operations at three database sizes')
    figures.push(...(await benchGrowth()))
    progress('growth: server fan-out to 10, 100 and 1,000 live subscribers')
    figures.push(await benchGrowthFanout())
  }
  if (runs('open')) {
    progress('open a 100,000-document database from its index, beside eager materialisation')
    figures.push(...(await benchOpen()))
  }
  if (runs('view')) {
    progress('first read of a never-loaded document, with and without a current-value view')
    figures.push(...(await benchCurrentValueView()))
  }
  if (runs('postgres')) {
    progress('PostgreSQL store beside LevelDB: appends and reconciliation at 1k, 10k and 100k entries')
    figures.push(...(await benchPostgres()))
  }
  if (runs('shared')) {
    progress('servers sharing their state over PostgreSQL, beside one alone')
    figures.push(...(await benchSharedState()))
  }
  if (runs('scale')) {
    progress('scale-out: relay processes over one PostgreSQL, 1,000 live clients, LISTEN/NOTIFY, the shard model')
    figures.push(...(await benchScale()))
  }

  if (runs('presence')) {
    progress('presence: messages a device takes a second')
    figures.push(await benchPresence())
  }
  if (runs('attachments')) {
    progress('attachments: write and read throughput beside the crypto floor')
    figures.push(...(await benchAttachments()))
  }

  if (runs('verify')) {
    progress('verify: one thread beside a pool of worker threads')
    figures.push(...(await benchVerify()))
    figures.push(benchAuthorRead())
  }

  printMachine(machine)
  console.log('')
  printFigures(figures)
  console.log(
    `\n${figures.filter((f) => f.met).length} of ${figures.length} targets met; bench took ${((performance.now() - started) / 1000).toFixed(0)} s`,
  )
}

main().then(
  // automerge-repo and message ports may leave timers behind; the results are printed, so leave.
  () => process.exit(0),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
