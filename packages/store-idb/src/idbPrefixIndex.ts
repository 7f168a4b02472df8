import {
  addToIndex,
  ErrorCodes,
  FULL_RANGE,
  indexedFingerprints,
  nodesOf,
  WeftError,
  type FingerprintSum,
  type HashRange,
  type RangeFingerprint,
} from '@weft/core/backend'
import type { IDBPTransaction } from 'idb'
import { hashKeyRange, prefixKeyRange } from './keyRanges.ts'
import type { StoreMeta, WeftIdbSchema } from './openWeftIdb.ts'

/**
 * Depth of the IndexedDB index: nodes for hash prefixes of 0 to 3 characters, so a leaf bucket
 * holds about n / 4,096 hashes (24 at 100,000 entries) and a fingerprint scans at most two.
 */
export const IDB_INDEX_DEPTH = 3

/** Marks a meta record whose index is complete in this layout (grouped nodes, depth 3). */
export const INDEX_MARK = 2

const HEX = '0123456789abcdef'
const SLOT_BYTES = 24 // count (float64) + sum (four uint32 limbs, most significant first)
/** The root group holds the prefixes of 0 and 1 characters; group `d` those of 2 and 3 starting with d. */
const ROOT_SLOTS = 17
const GROUP_SLOTS = 16 + 256

/**
 * The nodes are stored in 17 records instead of one row each: an append of 1,000 random hashes
 * touches about 1,900 nodes, but then reads and writes only 17 records, which is most of what
 * keeps the index cheap in IndexedDB (where each request costs far more than the bytes it moves).
 * The group of a prefix is `''` for prefixes of up to one character, else its first character.
 */
function groupOf(prefix: string): string {
  return prefix.length <= 1 ? '' : prefix[0]!
}

function slotOf(prefix: string): number {
  switch (prefix.length) {
    case 0:
      return 0
    case 1:
      return 1 + HEX.indexOf(prefix)
    case 2:
      return HEX.indexOf(prefix[1]!)
    default:
      return 16 + HEX.indexOf(prefix[1]!) * 16 + HEX.indexOf(prefix[2]!)
  }
}

function malformed(name: string): WeftError {
  return new WeftError(ErrorCodes.STORAGE_ERROR, `change store ${name} holds a malformed fingerprint index record`)
}

/** A group record as stored, checked; a new empty one when there is none. */
function groupBytes(name: string, group: string, value: unknown): Uint8Array {
  const size = (group === '' ? ROOT_SLOTS : GROUP_SLOTS) * SLOT_BYTES
  if (value === undefined) return new Uint8Array(size)
  if (!(value instanceof Uint8Array) || value.length !== size) throw malformed(name)
  return value
}

function readSlot(bytes: Uint8Array, slot: number): FingerprintSum | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset + slot * SLOT_BYTES, SLOT_BYTES)
  const count = view.getFloat64(0)
  if (count === 0) return undefined
  const limbs = new Uint32Array(4)
  for (let i = 0; i < 4; i++) limbs[i] = view.getUint32(8 + i * 4)
  return { count, limbs }
}

function writeSlot(bytes: Uint8Array, slot: number, sum: FingerprintSum): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + slot * SLOT_BYTES, SLOT_BYTES)
  view.setFloat64(0, sum.count)
  for (let i = 0; i < 4; i++) view.setUint32(8 + i * 4, sum.limbs[i]!)
}

/** Adds `hashes` to the nodes held in `groups` (group → record bytes), in place. */
function addToGroups(groups: Map<string, Uint8Array>, hashes: readonly string[]): void {
  const nodes = new Map<string, FingerprintSum>()
  for (const p of new Set(hashes.flatMap((h) => nodesOf(h, IDB_INDEX_DEPTH)))) {
    const sum = readSlot(groups.get(groupOf(p))!, slotOf(p))
    if (sum) nodes.set(p, sum)
  }
  addToIndex(nodes, hashes, IDB_INDEX_DEPTH)
  for (const [p, sum] of nodes) writeSlot(groups.get(groupOf(p))!, slotOf(p), sum)
}

const groupsOf = (hashes: readonly string[]): string[] => ['', ...new Set(hashes.map((h) => h[0]!))]

/**
 * Inside an append transaction (plain requests and callbacks, no awaits): reads the index records
 * the added hashes count in, writes them moved on, then calls `then`. `guard` runs callback work
 * and aborts the transaction if it throws.
 */
export function writeIndexNodes(
  index: IDBObjectStore,
  name: string,
  hashes: readonly string[],
  guard: (work: () => void) => void,
  then: () => void,
): void {
  const wanted = groupsOf(hashes)
  const groups = new Map<string, Uint8Array>()
  let pending = wanted.length
  for (const g of wanted) {
    const read = index.get([name, g])
    read.onsuccess = () =>
      guard(() => {
        groups.set(g, groupBytes(name, g, read.result))
        if (--pending > 0) return
        addToGroups(groups, hashes)
        for (const [q, bytes] of groups) index.put(bytes, [name, q])
        then()
      })
  }
}

type IndexTx = IDBPTransaction<WeftIdbSchema, ('prefixSums' | 'entries')[], 'readonly' | 'readwrite'>

/**
 * Ranges' fingerprints from the index, in their order, in one transaction: the records holding
 * every node their plans name (each read once) and their leaf scans, issued at once.
 */
export function fingerprintsInTx(tx: IndexTx, name: string, ranges: readonly HashRange[]): Promise<RangeFingerprint[]> {
  return indexedFingerprints(
    ranges,
    {
      sums: async (prefixes) => {
        const wanted = [...new Set(prefixes.map(groupOf))]
        const values = await Promise.all(wanted.map((g) => tx.objectStore('prefixSums').get([name, g])))
        const groups = new Map(wanted.map((g, i) => [g, groupBytes(name, g, values[i])]))
        return prefixes.map((p) => readSlot(groups.get(groupOf(p))!, slotOf(p)))
      },
      hashes: async (r) => {
        const keys = hashKeyRange(name, r)
        return keys ? (await tx.objectStore('entries').getAllKeys(keys)).map((k) => k[1]) : []
      },
    },
    IDB_INDEX_DEPTH,
  )
}

/**
 * Builds a store's index from its entries when its meta record does not mark it complete in this
 * layout (a store written before the index existed, or by the one-row-per-node layout of version
 * 2), in the given readwrite transaction; returns the meta record.
 */
export async function ensureIndex(
  tx: IDBPTransaction<WeftIdbSchema, ('meta' | 'entries' | 'prefixSums')[], 'readwrite'>,
  name: string,
  meta: StoreMeta,
): Promise<StoreMeta> {
  if (meta.index === INDEX_MARK) return meta
  const hashes = (await tx.objectStore('entries').getAllKeys(hashKeyRange(name, FULL_RANGE)!)).map((k) => k[1])
  const groups = new Map(HEX.split('').map((d) => [d, groupBytes(name, d, undefined)]))
  groups.set('', groupBytes(name, '', undefined))
  addToGroups(groups, hashes)
  const index = tx.objectStore('prefixSums')
  await index.delete(prefixKeyRange(name, ''))
  const indexed: StoreMeta = { epoch: meta.epoch, seq: meta.seq, index: INDEX_MARK }
  await Promise.all([
    ...[...groups].map(([g, bytes]) => index.put(bytes, [name, g])),
    tx.objectStore('meta').put(indexed, name),
  ])
  return indexed
}
