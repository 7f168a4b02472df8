import {
  addToIndex,
  decodeSum,
  encodeSum,
  ErrorCodes,
  indexedFingerprints,
  nodesOf,
  WeftError,
  type FingerprintSum,
  type HashRange,
  type RangeFingerprint,
} from '@weft/core/backend'
import { guardedWrite, writeBatch, type BatchOp } from './guardedWrite.ts'
import { storageCall } from './storageError.ts'
import { StoreLayout, type StoreMeta } from './StoreLayout.ts'

/** Reads the stored index nodes of `prefixes`. */
async function readSums(layout: StoreLayout, prefixes: readonly string[]): Promise<(FingerprintSum | undefined)[]> {
  const values = await layout.sums.getMany(prefixes.map(StoreLayout.sumKey))
  return values.map((v, i) => {
    if (v === undefined) return undefined
    const sum = decodeSum(v)
    if (!sum)
      throw new WeftError(ErrorCodes.STORAGE_ERROR, `malformed fingerprint index node ${JSON.stringify(prefixes[i])}`)
    return sum
  })
}

/**
 * The index rows an append of `hashes` (all new to the store) writes: each node they count in,
 * read and moved on. Called under the store's append lock, so no other append reads in between.
 */
export async function indexUpdate(layout: StoreLayout, hashes: readonly string[], what: string): Promise<BatchOp[]> {
  const distinct = new Set<string>()
  for (const h of hashes) for (const p of nodesOf(h)) distinct.add(p)
  const prefixes = [...distinct]
  const current = await storageCall(what, () => readSums(layout, prefixes))
  const nodes = new Map<string, FingerprintSum>()
  prefixes.forEach((p, i) => {
    const s = current[i]
    if (s) nodes.set(p, s)
  })
  addToIndex(nodes, hashes)
  return [...nodes].map(
    ([p, sum]) =>
      ({ type: 'put', sublevel: layout.sums, key: StoreLayout.sumKey(p), value: encodeSum(sum) }) as BatchOp,
  )
}

/**
 * Ranges' fingerprints from the index, in their order: one `getMany` of every node their plans
 * name, and at most two leaf-bucket key ranges each, at once.
 */
export function fingerprintsFromIndex(layout: StoreLayout, ranges: readonly HashRange[]): Promise<RangeFingerprint[]> {
  return indexedFingerprints(ranges, {
    sums: (prefixes) => readSums(layout, prefixes),
    hashes: (r) => {
      const bounds: { gte?: string; lt?: string } = {}
      if (r.lower !== '') bounds.gte = r.lower
      if (r.upper !== null) bounds.lt = r.upper
      return layout.entries.keys(bounds).all()
    },
  })
}

/**
 * Builds the index from the stored entries (a store written by a version without it), replacing
 * whatever is there, and marks the meta record. The marking is written with the nodes in one
 * batch; a crash before it leaves the flag unset, and the next open builds again.
 */
export async function rebuildIndex(
  layout: StoreLayout,
  meta: StoreMeta,
  what: string,
  sync: boolean,
): Promise<StoreMeta> {
  const nodes = new Map<string, FingerprintSum>()
  await storageCall(what, async () => {
    await layout.sums.clear()
    const batch: string[] = []
    for await (const key of layout.entries.keys()) {
      batch.push(key)
      if (batch.length === 10_000) addToIndex(nodes, batch.splice(0))
    }
    addToIndex(nodes, batch)
  })
  const indexed: StoreMeta = { ...meta, index: 1 }
  const ops: BatchOp[] = [...nodes].map(([p, sum]) => ({
    type: 'put',
    sublevel: layout.sums,
    key: StoreLayout.sumKey(p),
    value: encodeSum(sum),
  }))
  ops.push({ type: 'put', sublevel: layout.meta, key: StoreLayout.META_KEY, value: StoreLayout.encodeMeta(indexed) })
  await guardedWrite(layout.db, what, () => writeBatch(layout.db, ops, sync))
  return indexed
}
