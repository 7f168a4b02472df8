import type { HashRange, RangeFingerprint } from './ChangeStore.ts'
import { addHashToSum, combineSums, emptySum, finishSum, hashLimbsInto, type FingerprintSum } from './fingerprint.ts'

/**
 * The range-fingerprint index every backend keeps: for each hex prefix of 0 to `INDEX_DEPTH`
 * characters that some held hash starts with, the count and sum (mod 2^128) of those hashes
 * (at most 1 + 16 + 256 + 4,096 + 65,536 nodes). An append adds each new hash to its
 * `INDEX_DEPTH + 1` nodes, in the same write as the entry. The fingerprint of any range is then
 * a difference of two "everything below x" sums, each made of at most 15 nodes per level plus a
 * scan of one leaf bucket (the hashes sharing x's first `INDEX_DEPTH` characters: about n / 65,536
 * of them). A range under one prefix of at most `INDEX_DEPTH` characters, as reconciliation asks
 * for, is one node.
 */
export const INDEX_DEPTH = 4

const HEX = '0123456789abcdef'

/**
 * The node prefixes a hash counts in: its first 0 to `depth` characters. Every function here takes
 * the index's depth, `INDEX_DEPTH` unless a backend keeps a shallower one (fewer nodes to move on
 * per append, longer leaf scans per fingerprint).
 */
export function nodesOf(hash: string, depth = INDEX_DEPTH): string[] {
  const out: string[] = []
  for (let d = 0; d <= depth; d++) out.push(hash.slice(0, d))
  return out
}

/** Adds `hashes` to their nodes in `nodes`, creating missing nodes. */
export function addToIndex(nodes: Map<string, FingerprintSum>, hashes: Iterable<string>, depth = INDEX_DEPTH): void {
  const one: FingerprintSum = { count: 1, limbs: new Uint32Array(4) }
  for (const hash of hashes) {
    hashLimbsInto(hash, one.limbs)
    for (let d = 0; d <= depth; d++) {
      const p = hash.slice(0, d)
      let node = nodes.get(p)
      if (!node) nodes.set(p, (node = emptySum()))
      combineSums(node, one, 1)
    }
  }
}

/** Two hex digits of each byte value. */
const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

/** Eight hex digits of a 32-bit limb, most significant first (an append encodes thousands). */
function limbHex(l: number): string {
  return BYTE_HEX[l >>> 24]! + BYTE_HEX[(l >>> 16) & 255]! + BYTE_HEX[(l >>> 8) & 255]! + BYTE_HEX[l & 255]!
}

/** A node as stored: `<count>:<32 hex digits of the sum>`. */
export function encodeSum(sum: FingerprintSum): string {
  const [a, b, c, d] = sum.limbs
  return `${sum.count}:${limbHex(a!)}${limbHex(b!)}${limbHex(c!)}${limbHex(d!)}`
}

/** Parses a stored node (`<1 to 16 digits>:<32 lowercase hex digits>`); undefined when it is not one. */
export function decodeSum(value: string): FingerprintSum | undefined {
  const colon = value.indexOf(':')
  if (colon < 1 || colon > 16 || value.length !== colon + 33) return undefined
  for (let i = 0; i < colon; i++) {
    const c = value.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  try {
    return { count: Number(value.slice(0, colon)), limbs: hashLimbsInto(value.slice(colon + 1), new Uint32Array(4)) }
  } catch {
    return undefined // not lowercase hex
  }
}

/** Which nodes and edge scans make up one range's fingerprint. */
export interface RangePlan {
  /** Nodes to add (sign 1) or subtract (sign -1). */
  readonly nodes: readonly { readonly prefix: string; readonly sign: 1 | -1 }[]
  /** Ranges to scan, each inside one leaf bucket, to add or subtract. */
  readonly edges: readonly { readonly range: HashRange; readonly sign: 1 | -1 }[]
}

/** The nodes and the leaf scan that make up every hash below `x`. */
function below(x: string, depth: number): { nodes: string[]; edge: HashRange | null } {
  const nodes: string[] = []
  for (let d = 0; d < x.length; d++) {
    const q = x.slice(0, d)
    if (d === depth) return { nodes, edge: { lower: q, upper: x } }
    const c = x[d]!
    for (const digit of HEX) if (digit < c) nodes.push(q + digit)
    if (!HEX.includes(c)) break // no hash goes on with this character
  }
  return { nodes, edge: null }
}

/** How to compute the fingerprint of `range` from the index; null when the range is empty. */
export function rangePlan(range: HashRange, depth = INDEX_DEPTH): RangePlan | null {
  if (range.upper !== null && range.upper <= range.lower) return null
  const upper = range.upper === null ? { nodes: [''], edge: null } : below(range.upper, depth)
  const lower = below(range.lower, depth)
  const signs = new Map<string, number>()
  for (const p of upper.nodes) signs.set(p, (signs.get(p) ?? 0) + 1)
  for (const p of lower.nodes) signs.set(p, (signs.get(p) ?? 0) - 1)
  const nodes = [...signs].filter(([, s]) => s !== 0).map(([prefix, s]) => ({ prefix, sign: s as 1 | -1 }))
  const edges: { range: HashRange; sign: 1 | -1 }[] = []
  if (upper.edge && lower.edge && upper.edge.lower === lower.edge.lower) {
    edges.push({ range: { lower: range.lower, upper: range.upper }, sign: 1 }) // both ends in one leaf: one scan
  } else {
    if (upper.edge) edges.push({ range: upper.edge, sign: 1 })
    if (lower.edge) edges.push({ range: lower.edge, sign: -1 })
  }
  return { nodes, edges }
}

/** What {@link indexedFingerprint} reads from a backend. */
export interface PrefixSumReader {
  /** The stored nodes of these prefixes (undefined: no hash has that prefix). */
  sums(prefixes: readonly string[]): Promise<readonly (FingerprintSum | undefined)[]>
  /** Hashes in a range (the range lies inside one leaf bucket). */
  hashes(range: HashRange): Promise<readonly string[]>
}

/** A range's fingerprint from a backend's index: one read of nodes and at most two leaf scans, at once. */
export async function indexedFingerprint(
  range: HashRange,
  reader: PrefixSumReader,
  depth = INDEX_DEPTH,
): Promise<RangeFingerprint> {
  return (await indexedFingerprints([range], reader, depth))[0]!
}

/**
 * The fingerprints of many ranges from a backend's index, in their order: one read of every node
 * their plans name (each once), and their leaf scans, all at once. What answering a
 * reconciliation message reads: the 16 children of a range, say, in one round trip to storage
 * instead of sixteen.
 */
export async function indexedFingerprints(
  ranges: readonly HashRange[],
  reader: PrefixSumReader,
  depth = INDEX_DEPTH,
): Promise<RangeFingerprint[]> {
  const plans = ranges.map((r) => rangePlan(r, depth))
  const prefixes = [...new Set(plans.flatMap((plan) => plan?.nodes.map((n) => n.prefix) ?? []))]
  const [sums, ...edges] = await Promise.all([
    prefixes.length ? reader.sums(prefixes) : Promise.resolve([]),
    ...plans.flatMap((plan) => plan?.edges.map((e) => reader.hashes(e.range)) ?? []),
  ])
  const nodes = new Map(prefixes.map((p, i) => [p, sums[i]]))
  let edge = 0
  return plans.map((plan) => {
    const total = emptySum()
    if (!plan) return finishSum(total)
    for (const n of plan.nodes) {
      const s = nodes.get(n.prefix)
      if (s) combineSums(total, s, n.sign)
    }
    for (const e of plan.edges) {
      const part = emptySum()
      for (const h of edges[edge++]!) addHashToSum(part, h)
      combineSums(total, part, e.sign)
    }
    return finishSum(total)
  })
}

/** The least string above every string starting with `prefix`; null for `''` and all-`f` prefixes. */
export function prefixEnd(prefix: string): string | null {
  let i = prefix.length - 1
  while (i >= 0 && prefix[i] === 'f') i--
  if (i < 0) return null
  return prefix.slice(0, i) + HEX[HEX.indexOf(prefix[i]!) + 1]!
}

export { HEX as HEX_DIGITS }
