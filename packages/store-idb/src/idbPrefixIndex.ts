import {
  addToIndex,
  decodeSum,
  encodeSum,
  ErrorCodes,
  FULL_RANGE,
  indexedFingerprint,
  nodesOf,
  WeftError,
  type FingerprintSum,
  type HashRange,
  type RangeFingerprint,
} from '@weft/core/backend'
import type { IDBPTransaction } from 'idb'
import { hashKeyRange, prefixKeyRange } from './keyRanges.ts'
import type { StoreMeta, WeftIdbSchema } from './openWeftIdb.ts'

function decoded(name: string, prefix: string, value: string | undefined): FingerprintSum | undefined {
  if (value === undefined) return undefined
  const sum = decodeSum(value)
  if (!sum)
    throw new WeftError(ErrorCodes.STORAGE_ERROR, `change store ${name} holds a malformed fingerprint index node`)
  return sum
}

/**
 * Inside an append transaction (plain requests and callbacks, no awaits): reads the index nodes
 * the added hashes count in, writes them moved on, then calls `then`. `guard` runs callback work
 * and aborts the transaction if it throws.
 */
export function writeIndexNodes(
  sums: IDBObjectStore,
  name: string,
  hashes: readonly string[],
  guard: (work: () => void) => void,
  then: () => void,
): void {
  const prefixes = [...new Set(hashes.flatMap(nodesOf))]
  const nodes = new Map<string, FingerprintSum>()
  let pending = prefixes.length
  for (const p of prefixes) {
    const read = sums.get([name, p])
    read.onsuccess = () =>
      guard(() => {
        const sum = decoded(name, p, read.result as string | undefined)
        if (sum) nodes.set(p, sum)
        if (--pending > 0) return
        addToIndex(nodes, hashes)
        for (const [q, s] of nodes) sums.put(encodeSum(s), [name, q])
        then()
      })
  }
}

type IndexTx = IDBPTransaction<WeftIdbSchema, ('sums' | 'entries')[], 'readonly' | 'readwrite'>

/** A range's fingerprint from the index, in one transaction: node reads and leaf scans issued at once. */
export function fingerprintInTx(tx: IndexTx, name: string, range: HashRange): Promise<RangeFingerprint> {
  return indexedFingerprint(range, {
    sums: async (prefixes) => {
      const values = await Promise.all(prefixes.map((p) => tx.objectStore('sums').get([name, p])))
      return values.map((v, i) => decoded(name, prefixes[i]!, v))
    },
    hashes: async (r) => {
      const keys = hashKeyRange(name, r)
      return keys ? (await tx.objectStore('entries').getAllKeys(keys)).map((k) => k[1]) : []
    },
  })
}

/**
 * Builds a store's index from its entries when its meta record does not mark it complete (a store
 * written before the index existed), in the given readwrite transaction; returns the meta record.
 */
export async function ensureIndex(
  tx: IDBPTransaction<WeftIdbSchema, ('meta' | 'entries' | 'sums')[], 'readwrite'>,
  name: string,
  meta: StoreMeta,
): Promise<StoreMeta> {
  if (meta.index === 1) return meta
  const keys = await tx.objectStore('entries').getAllKeys(hashKeyRange(name, FULL_RANGE)!)
  const nodes = new Map<string, FingerprintSum>()
  addToIndex(
    nodes,
    keys.map((k) => k[1]),
  )
  const sums = tx.objectStore('sums')
  await sums.delete(prefixKeyRange(name, ''))
  const indexed: StoreMeta = { epoch: meta.epoch, seq: meta.seq, index: 1 }
  await Promise.all([
    ...[...nodes].map(([p, s]) => sums.put(encodeSum(s), [name, p])),
    tx.objectStore('meta').put(indexed, name),
  ])
  return indexed
}
