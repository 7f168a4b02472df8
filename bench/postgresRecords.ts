import { addToCounter, takeTokens } from '@weft/core/backend'
import { PostgresStoreFactory } from '@weft/store-postgres'
import { fmtRate, median, timeMs, type Figure } from './report.ts'

const STEPS = 1_000
const RUNS = 5

/**
 * The server records' steps (a counter added to and a request-rate bucket taken from, one after
 * another, as a signed-in request takes them) with unnamed statements, as they go through a
 * pooler when `sessionUrl` is given, beside the same with named prepared statements (planned once
 * per connection), alternating runs on one database.
 */
export async function benchRecordStatements(url: string): Promise<Figure> {
  const factories = [true, false].map(
    (preparedStatements) => new PostgresStoreFactory({ url, preparedStatements, maxConnections: 2 }),
  )
  try {
    const [named, unnamed] = await Promise.all(factories.map((f) => f.openKeyValueStore('weft-server')))
    const limit = { rate: 1e9, burst: 1e9 }
    const rate = async (kv: typeof named, tag: string): Promise<number> => {
      const ms = await timeMs(async () => {
        for (let i = 0; i < STEPS / 2; i++) {
          await addToCounter(kv!, `${tag}/n`, 1)
          await takeTokens(kv!, `${tag}/bucket`, limit, 1)
        }
      })
      return (STEPS / ms) * 1000
    }
    await rate(named, 'warm-named')
    await rate(unnamed, 'warm-unnamed')
    const a: number[] = []
    const b: number[] = []
    for (let run = 0; run < RUNS; run++) {
      a.push(await rate(named, `named-${run}`))
      b.push(await rate(unnamed, `unnamed-${run}`))
    }
    const [withNames, without] = [median(a), median(b)]
    return {
      name: 'Server record steps without named statements (behind a pooler, sessionUrl given)',
      value: fmtRate(without, 'steps'),
      reference: `${fmtRate(withNames, 'steps')} named (prepared once per connection)`,
      ratio: without / withNames,
      target: 'reported',
      met: true,
      notes: [
        `${STEPS.toLocaleString('en')} steps one after another (a counter add, then a bucket take), median of ${RUNS} alternating runs; direct connections here, so the difference is PostgreSQL parsing and planning each statement anew`,
      ],
    }
  } finally {
    await Promise.all(factories.map((f) => f.close()))
  }
}
