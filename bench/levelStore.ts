import { TenantFactory, TEST_KDF } from '@weft/core'
import { nodesOf, verifyEntry, type EntryEnvelope } from '@weft/core/backend'
import { LevelStoreFactory } from '@weft/store-level'
import { appendRateInChild, BATCH, inTempDir, makeEntries, PAYLOAD_BYTES, type AppendKind } from './levelAppend.ts'
import { fmtMs, fmtRate, fmtRatio, median, progress, settle, timeMs, type Figure } from './report.ts'

const APPEND_TARGET = 0.5
const PASSWORD = 'bench'

/** Sizes of {@link benchLevelStore}; the defaults are the figures the issue asks for. */
export interface LevelBenchOptions {
  /** Entries appended per run. Default 10,000. */
  readonly entries?: number
  /** Documents in the database that is created, then opened. Default 10,000. */
  readonly docs?: number
  /** Measured runs (median reported). Default 3. */
  readonly runs?: number
}

/** entries/s for `verifyEntry` alone (hash, parse, signature): the ceiling verification puts on appends. */
function verifyRate(entries: readonly EntryEnvelope[]): number {
  const n = Math.min(entries.length, 3_000)
  const start = performance.now()
  for (let i = 0; i < n; i++) verifyEntry(entries[i]!.hash, entries[i]!.bytes)
  return (n / (performance.now() - start)) * 1000
}

/**
 * Appends through `LevelChangeStore.appendMany` against raw `level` batch puts of the same bytes
 * (entries from the wire, then entries signed in this process), and opening a 10,000-document
 * database from LevelDB against creating it. Three figures.
 */
export async function benchLevelStore(options: LevelBenchOptions = {}): Promise<Figure[]> {
  const runs = options.runs ?? 3
  return [...(await benchAppend(options.entries ?? 10_000, runs)), await benchOpen(options.docs ?? 10_000, runs)]
}

async function benchAppend(count: number, runs: number): Promise<Figure[]> {
  const kinds: AppendKind[] = ['wire', 'local', 'raw', 'raw3']
  const rates: Record<AppendKind, number[]> = { wire: [], local: [], raw: [], raw3: [] }
  for (let run = 0; run < runs; run++) {
    for (const kind of kinds) rates[kind].push(await appendRateInChild(kind, count))
    progress(
      `level append run ${run + 1}/${runs}: verified ${fmtRate(rates.wire[run]!, 'entry')}, local ${fmtRate(rates.local[run]!, 'entry')}, ` +
        `raw ${fmtRate(rates.raw[run]!, 'entry')}, raw 3 rows ${fmtRate(rates.raw3[run]!, 'entry')}`,
    )
  }
  const { wire: verified, local, raw, raw3: rawRows } = rates
  const sample = makeEntries(Math.min(count, 3_000))
  const wire = sample.map((e) => ({ hash: e.hash, bytes: e.bytes }))
  const ceiling = verifyRate(wire)
  const indexRows = nodesPerEntry(sample.map((e) => e.hash))
  const v = median(verified)
  const l = median(local)
  const r = median(raw)
  const r3 = median(rawRows)
  const listRates = (xs: number[]) => xs.map((x) => fmtRate(x, 'entry')).join(', ')
  return [
    {
      name: 'LevelDB append, entries from the wire (signatures checked)',
      value: fmtRate(v, 'entry'),
      reference: `${fmtRate(l, 'entry')} same store, entries signed here`,
      ratio: v / l,
      target: `>= ${APPEND_TARGET.toFixed(2)}`,
      met: v / l >= APPEND_TARGET,
      notes: [
        `${count.toLocaleString('en-US')} pre-made entries (${PAYLOAD_BYTES} B payload, ${wire[0]!.bytes.length} B each) per run, LevelChangeStore.appendMany in batches of ${BATCH.toLocaleString('en-US')}, fresh folder per run, each run (of every kind in this row and the next) in a fresh process after a warm-up run there, median of ${runs}: ${listRates(verified)}`,
        `each entry lists its document's previous one, so a batch holds 100 same-author chains of 10: 100 signatures checked, 900 entries vouched for by hash (the vouching rule, docs/security.md)`,
        `against raw level (one batch put per entry of the same bytes under its hash, same batches: ${listRates(raw)}): ${fmtRatio(v / r)}`,
        `verifyEntry of every entry alone (hash, parse, Ed25519) runs at ${fmtRate(ceiling, 'entry')} here: ${fmtRatio(ceiling / l)} of the local append`,
      ],
    },
    {
      name: 'LevelDB append, entries signed in this process',
      value: fmtRate(l, 'entry'),
      reference: `${fmtRate(r, 'entry')} raw level batch`,
      ratio: l / r,
      target: `>= ${APPEND_TARGET.toFixed(2)}`,
      met: l / r >= APPEND_TARGET,
      notes: [
        `the same entries as createEntry returned them: the store still hashes and parses each, and skips only the signature check (as for every local write): ${listRates(local)}`,
        `the store writes 3 rows per entry (entry, arrival number, per-document index) and the fingerprint index's nodes the batch moves (${indexRows.toFixed(2)} per entry in batches of ${BATCH.toLocaleString('en-US')}, each read first) in one atomic batch, after a duplicate check; plain level writing the 3 rows per entry: ${listRates(rawRows)}, so appendMany runs at ${fmtRatio(l / r3)} of raw level doing those writes`,
      ],
    },
  ]
}

/** Index nodes an append of `hashes` in batches of {@link BATCH} moves on, per entry: each batch's distinct `nodesOf`. */
function nodesPerEntry(hashes: readonly string[]): number {
  let nodes = 0
  for (let i = 0; i < hashes.length; i += BATCH)
    nodes += new Set(hashes.slice(i, i + BATCH).flatMap((h) => nodesOf(h))).size
  return nodes / hashes.length
}

async function benchOpen(docs: number, runs: number): Promise<Figure> {
  return inTempDir(async (path) => {
    const create = new TenantFactory({ storeFactory: new LevelStoreFactory({ path }), kdf: TEST_KDF })
    const tenant = await create.createTenant({ tenantId: 'bench-open', password: PASSWORD })
    const db = await tenant.openDB('docs')
    await settle()
    const createMs = await timeMs(async () => {
      for (let i = 0; i < docs; i++) await db.createDocument({ data: { title: `document ${i}`, n: i, status: 'new' } })
    })
    progress(`level open: created ${docs.toLocaleString('en-US')} documents in ${fmtMs(createMs)}`)
    await create.close()

    const open = async (): Promise<number> => {
      const factory = new TenantFactory({ storeFactory: new LevelStoreFactory({ path }), kdf: TEST_KDF })
      const reopened = await factory.openTenant('bench-open', { password: PASSWORD })
      await settle()
      let count = 0
      const ms = await timeMs(async () => {
        const loaded = await reopened.openDB('docs')
        count = (await loaded.getAllDocumentIds()).length
      })
      if (count !== docs) throw new Error(`opened ${count} documents, expected ${docs}`)
      await reopened.close()
      await factory.close()
      return ms
    }
    await open() // warm-up
    const opens: number[] = []
    for (let run = 0; run < runs; run++) {
      opens.push(await open())
      progress(`level open run ${run + 1}/${runs}: ${fmtMs(opens[run]!)}`)
    }
    const o = median(opens)
    return {
      name: `open a ${docs.toLocaleString('en-US')}-document database from LevelDB`,
      value: `${fmtMs(o)} openDB`,
      reference: `${fmtMs(createMs)} creating them`,
      ratio: createMs / o,
      target: '> 1x faster (reported)',
      met: createMs / o > 1,
      notes: [
        `creating: ${docs.toLocaleString('en-US')} sequential createDocument calls (one signed, encrypted entry each, one LevelDB batch each); opening: tenant.openDB on a reopened tenant (new factory over the same folder: scan, read, decrypt, one Automerge apply per document), median of ${runs}: ${opens.map(fmtMs).join(', ')}`,
        `opening takes ${fmtRatio(o / createMs)} of the time creating took, ${((o * 1000) / docs).toFixed(0)} µs per document`,
      ],
    }
  })
}
