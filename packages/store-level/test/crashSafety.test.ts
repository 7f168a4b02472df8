import { cp, mkdir, readdir, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ready, verifyEntry, type ChangeHash } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LevelStoreFactory, type LevelChangeStore } from '../src/index.ts'
import { runFixture } from './helpers/runFixture.ts'
import { tempDir } from './helpers/tempDir.ts'

/** Two folders killed in turn, ten times each: 20 kills, in about half the time of one chain. */
const CHAINS = 2
const RUNS_PER_CHAIN = 10
const BATCHES = 12
const STORE = 'crash/db'

/**
 * Where the parent kills the child: while LevelDB opens; while a batch is being written (a random
 * fraction of the way through, judged by how long the last write took, so some kills land just
 * after it); between batches; or idle.
 */
type KillPoint =
  | { readonly at: 'opening'; readonly delayMs: number }
  | { readonly at: 'writing'; readonly batch: number; readonly fraction: number }
  | { readonly at: 'between'; readonly afterBatches: number }
  | { readonly at: 'idle' }

const rand = (n: number) => Math.floor(Math.random() * n)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function pickKillPoint(): KillPoint {
  const r = Math.random()
  if (r < 0.15) return { at: 'opening', delayMs: rand(25) }
  if (r < 0.8) return { at: 'writing', batch: rand(BATCHES), fraction: Math.random() * 1.5 }
  if (r < 0.95) return { at: 'between', afterBatches: rand(BATCHES) }
  return { at: 'idle' }
}

/**
 * Writes a plan for one child: batches of 1-12 entries of 16 B to 48 KiB over several documents.
 * Large entries make the batch write a good share of each append (the rest is verification), and
 * a batch spans several LevelDB log blocks. (A SIGKILL does not split one write(2), so a torn
 * batch is rare here; the next test tears the log on purpose.)
 */
async function writePlan(file: string, entries: EntryFactory): Promise<void> {
  const plan = Array.from({ length: BATCHES }, () =>
    Array.from({ length: 1 + rand(12) }, () => {
      const e = entries.entry(rand(entries.docIds.length), [], 16 + rand(48 * 1024))
      return { hash: e.hash, bytes: Buffer.from(e.bytes).toString('base64') }
    }),
  )
  await writeFile(file, JSON.stringify(plan))
}

/** The whole arrival order of a store, page by page. */
async function scanAll(store: LevelChangeStore) {
  const items = []
  for (let cursor = null; ;) {
    const page = await store.scan(cursor, { limit: 500 })
    items.push(...page.entries)
    cursor = page.cursor
    if (page.done) return items
  }
}

/** Spawns, kills and checks one folder `runs` times; returns a line per kill. */
async function killChain(folder: string, runs: number): Promise<string[]> {
  const dbPath = join(folder, 'db')
  const planFile = join(folder, 'plan.json')
  const committed = new Set<ChangeHash>()
  const parentEntries = new EntryFactory(2)
  const childEntries = new EntryFactory(6)
  const kills: string[] = []
  let epoch: string | undefined
  let verifiedUpTo = 0
  let lastWriteMs = 2

  for (let run = 0; run < runs; run++) {
    const point = pickKillPoint()
    await writePlan(planFile, childEntries)
    const child = runFixture('appendUntilKilled.ts', [dbPath, planFile])
    if (point.at === 'opening') {
      await child.waitForLine((l) => l === 'opening')
      await sleep(point.delayMs)
    } else if (point.at === 'writing') {
      let seen = 0
      await child.waitForLine((l) => l === 'writing' && ++seen > point.batch)
      await sleep(lastWriteMs * point.fraction)
    } else if (point.at === 'between') {
      let seen = 0
      await child.waitForLine((l) => l.startsWith('committed ') && ++seen > point.afterBatches)
    } else await child.waitForLine((l) => l === 'done')
    child.child.kill('SIGKILL')
    const { signal, stderr } = await child.exited
    expect(signal, stderr).toBe('SIGKILL')
    const commits = child.lines.filter((l) => l.startsWith('committed ')).map((l) => l.split(' '))
    const reported = commits.flatMap((parts) => parts.slice(2) as ChangeHash[])
    for (const h of reported) committed.add(h)
    lastWriteMs = Math.max(1, ...commits.map((parts) => Number(parts[1])))

    // Reopen the folder as a restarted process would.
    const factory = new LevelStoreFactory({ path: dbPath })
    try {
      const store = await factory.openChangeStore(STORE)
      const head = await store.head()
      epoch ??= head.epoch
      expect(head.epoch).toBe(epoch)

      // Every entry any child reported committed is there.
      expect((await store.has([...committed])).every(Boolean)).toBe(true)

      // Arrival order is 1..n without gaps or repeats, and head() agrees.
      const items = await scanAll(store)
      expect(items.map((i) => i.seq)).toEqual(items.map((_, i) => i + 1))
      expect(new Set(items.map((i) => i.hash)).size).toBe(items.length)
      expect(head).toEqual({ epoch, seq: items.length, count: items.length })

      // Entries stored since the last check verify (hash, structure, signature) and match their index rows.
      const fresh = items.slice(verifiedUpTo)
      // Entries the child committed but was killed before reporting show the kill landed mid-append.
      kills.push(`${point.at}: ${reported.length} reported, ${fresh.length - reported.length} more kept`)
      const stored = await store.getChanges(fresh.map((i) => i.hash))
      expect(stored.length).toBe(fresh.length)
      stored.forEach((e, k) => {
        const { header } = verifyEntry(e.hash, e.bytes)
        expect([header.docId, header.kind]).toEqual([fresh[k]!.docId, fresh[k]!.kind])
      })

      // No partial entry: every index row points at a stored entry, every stored entry has its rows.
      const integrity = await store.checkIntegrity()
      expect(integrity.problems).toEqual([])
      expect(integrity).toMatchObject({
        entries: items.length,
        arrivals: items.length,
        docRows: items.length,
        metaSeq: items.length,
      })

      // Appending continues right after the last arrival number.
      const more = [parentEntries.entry(0), parentEntries.entry(1)]
      expect((await store.appendMany(more)).added).toEqual(more.map((e) => e.hash))
      const after = await store.scan({ epoch, seq: head.seq })
      expect(after.entries.map((i) => [i.seq, i.hash])).toEqual(more.map((e, k) => [head.seq + k + 1, e.hash]))
      for (const e of more) committed.add(e.hash)
      verifiedUpTo = items.length + more.length
    } finally {
      await factory.close()
    }
  }
  return kills
}

describe('crash safety: writers killed with SIGKILL at random moments', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  beforeAll(async () => {
    await ready()
    dir = await tempDir()
  })
  afterAll(async () => {
    await dir.remove()
  })

  it(`loses no committed entry, leaves no partial one, keeps arrival order gap-free, and appending continues (${CHAINS * RUNS_PER_CHAIN} kills)`, async () => {
    const chains = await Promise.all(
      Array.from({ length: CHAINS }, async (_, c) => {
        const folder = join(dir.path, `chain-${c}`)
        await mkdir(folder)
        return killChain(folder, RUNS_PER_CHAIN)
      }),
    )
    const kills = chains.flat()
    expect(kills.length).toBe(CHAINS * RUNS_PER_CHAIN)
    console.info(`crash safety, ${kills.length} kills: ${kills.join('; ')}`)
  }, 180_000)

  it('drops a batch torn anywhere in the write-ahead log whole, as a kill between two writes or a power cut leaves it', async () => {
    // One folder with batches of large entries, all still in LevelDB's log (under its 4 MiB write buffer).
    const source = join(dir.path, 'torn-source')
    const entries = new EntryFactory(5)
    const batches: ChangeHash[][] = []
    const factory = new LevelStoreFactory({ path: source })
    const store = await factory.openChangeStore(STORE)
    for (let b = 0; b < 12; b++) {
      const batch = Array.from({ length: 1 + rand(6) }, () => entries.entry(rand(5), [], 1024 + rand(40 * 1024)))
      await store.appendMany(batch)
      batches.push(batch.map((e) => e.hash))
    }
    await factory.close()
    const log = (await readdir(source))
      .filter((f) => /^\d+\.log$/.test(f))
      .sort((a, b) => parseInt(a) - parseInt(b))
      .at(-1)!
    const size = (await stat(join(source, log))).size

    const cuts = [...Array.from({ length: 16 }, () => rand(size)), size - 1, Math.floor(size / 2)]
    const kept = new Set<number>()
    for (const [i, cut] of cuts.entries()) {
      const copy = join(dir.path, `torn-${i}`)
      await cp(source, copy, { recursive: true })
      await truncate(join(copy, log), cut)
      const reopened = new LevelStoreFactory({ path: copy })
      try {
        const s = await reopened.openChangeStore(STORE)
        const items = await scanAll(s)
        // Whole batches only: the survivors are exactly the first k batches, numbered 1..n.
        const k = batches.findIndex((_, j) => batches.slice(0, j + 1).flat().length > items.length)
        const prefix = batches.slice(0, k === -1 ? batches.length : k).flat()
        expect(items.map((it) => it.hash)).toEqual(prefix)
        expect(items.map((it) => it.seq)).toEqual(prefix.map((_, j) => j + 1))
        expect((await s.checkIntegrity({ verifyEntries: true })).problems).toEqual([])
        kept.add(k === -1 ? batches.length : k)
        // And it takes writes again.
        const more = entries.entry(0)
        expect((await s.append(more)).added).toEqual([more.hash])
      } finally {
        await reopened.close()
      }
    }
    // Cuts landed in different batches (not all before the first or after the last).
    expect(kept.size).toBeGreaterThan(1)
  }, 120_000)
})
