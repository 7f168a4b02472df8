import { addToIndex, asChangeHash, encodeSum, verifyEntry, type DocId, type FingerprintSum } from '@weft/core/backend'
import { StoreLayout } from './StoreLayout.ts'

/** Options of {@link checkStoreIntegrity}. */
export interface IntegrityOptions {
  /** Also re-hash, parse and verify the signature of every stored entry (slow: a signature check each). */
  readonly verifyEntries?: boolean
}

/** What {@link checkStoreIntegrity} found. `problems` is empty for a consistent store. */
export interface IntegrityReport {
  /** Stored entries. */
  readonly entries: number
  /** Rows of the arrival index. */
  readonly arrivals: number
  /** Rows of the per-document index. */
  readonly docRows: number
  /** Arrival number in the meta record. */
  readonly metaSeq: number | undefined
  /** One line per inconsistency; capped at {@link MAX_PROBLEMS}. */
  readonly problems: string[]
}

const MAX_PROBLEMS = 100

/**
 * Reads a whole store and checks that its parts agree: arrival numbers are 1..n without
 * gaps and the meta record says n; every arrival row names a stored entry, once; every stored
 * entry has an arrival row and a matching per-document row; no per-document row is left
 * over; and the range-fingerprint index sums exactly the stored entries. Reads everything into memory, so it is a tool for tests and operators, not a hot path.
 */
export async function checkStoreIntegrity(
  layout: StoreLayout,
  options: IntegrityOptions = {},
): Promise<IntegrityReport> {
  const problems: string[] = []
  const report = (p: string) => void (problems.length < MAX_PROBLEMS && problems.push(p))

  const stored = new Set<string>()
  /** With `verifyEntries`: each entry's signed document id and kind, to compare with its index rows. */
  const signed = new Map<string, string>()
  for await (const [hash, bytes] of layout.entries.iterator()) {
    stored.add(hash)
    if (!options.verifyEntries) continue
    try {
      const { header } = verifyEntry(asChangeHash(hash), bytes)
      signed.set(hash, `${header.docId} ${header.kind}`)
    } catch (err) {
      report(`entry ${hash}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  const arrivalOf = new Map<string, { seq: number; docId: DocId }>()
  let expected = 1
  let arrivals = 0
  for await (const [key, value] of layout.arrivals.iterator()) {
    arrivals++
    const seq = Number(key)
    if (key !== StoreLayout.seqKey(seq)) report(`arrival key ${JSON.stringify(key)} is not an arrival number`)
    else if (seq !== expected) report(`arrival ${seq} follows ${expected - 1}: gap or repeat`)
    expected = seq + 1
    const row = StoreLayout.decodeArrival(value)
    if (!row) {
      report(`arrival ${key}: malformed row`)
      continue
    }
    if (!stored.has(row.hash)) report(`arrival ${seq} names ${row.hash}, which is not stored`)
    const header = signed.get(row.hash)
    if (header !== undefined && header !== `${row.docId} ${row.kind}`)
      report(`arrival ${seq}: document or kind differs from the signed entry`)
    if (arrivalOf.has(row.hash)) report(`entry ${row.hash} has two arrival numbers`)
    arrivalOf.set(row.hash, { seq, docId: row.docId })
  }
  for (const hash of stored) if (!arrivalOf.has(hash)) report(`entry ${hash} has no arrival number`)

  let docRows = 0
  const withDocRow = new Set<string>()
  for await (const [key, hash] of layout.byDoc.iterator()) {
    docRows++
    const arrival = arrivalOf.get(hash)
    if (!arrival || key !== StoreLayout.docKey(arrival.docId, arrival.seq))
      report(`document row ${key} does not match an arrival row`)
    else withDocRow.add(hash)
  }
  for (const hash of arrivalOf.keys()) if (!withDocRow.has(hash)) report(`entry ${hash} has no document row`)

  const metaValue = await layout.meta.get(StoreLayout.META_KEY)
  const meta = metaValue === undefined ? undefined : StoreLayout.decodeMeta(metaValue)
  if (!meta) report(metaValue === undefined ? 'no meta record' : 'malformed meta record')
  else if (meta.seq !== expected - 1) report(`meta says arrival ${meta.seq}, the index ends at ${expected - 1}`)

  if (meta?.index === 1) {
    const expected = new Map<string, FingerprintSum>()
    addToIndex(expected, stored)
    let nodes = 0
    for await (const [key, value] of layout.sums.iterator()) {
      nodes++
      const want = expected.get(key.slice(1))
      if (!want || encodeSum(want) !== value) report(`fingerprint index node ${key} does not sum the stored entries`)
    }
    if (nodes !== expected.size) report(`fingerprint index has ${nodes} nodes, the entries make ${expected.size}`)
  }

  return { entries: stored.size, arrivals, docRows, metaSeq: meta?.seq, problems }
}
