import {
  addToIndex,
  decodeSum,
  encodeSum,
  ErrorCodes,
  indexedFingerprints,
  nodesOf,
  rangePlan,
  WeftError,
  type FingerprintSum,
  type HashRange,
  type RangeFingerprint,
} from '@weft/core/backend'
import { escapeLiteral } from 'pg'
import type { TenantScope } from './TenantScope.ts'

/** Which store's index: the tenant and the store name. */
export interface StoreKey {
  readonly tenant: string
  readonly store: string
}

/**
 * The index nodes an append of `hashes` (all new to the store) writes, encoded: each node they
 * count in, as `stored` (rows read in the append's transaction, holding at least those nodes that
 * exist) had it, moved on by the hashes. The caller holds the store's counter row `FOR UPDATE`, so
 * no other append of this store changes the nodes in between.
 */
export function indexAfter(
  stored: readonly { prefix: string; node: string }[],
  hashes: readonly string[],
): [prefix: string, node: string][] {
  const touched = new Set(hashes.flatMap((h) => nodesOf(h)))
  const nodes = new Map<string, FingerprintSum>()
  for (const r of stored) {
    if (!touched.has(r.prefix)) continue
    const sum = decodeSum(r.node)
    if (!sum)
      throw new WeftError(ErrorCodes.STORAGE_ERROR, `malformed fingerprint index node ${JSON.stringify(r.prefix)}`)
    nodes.set(r.prefix, sum)
  }
  addToIndex(nodes, hashes)
  return [...nodes].map(([p, sum]) => [p, encodeSum(sum)])
}

/**
 * Ranges' fingerprints from the index in one round trip, in their order: the nodes their plans
 * name and the hashes of their (at most two each) leaf-bucket edges, read by one statement in the
 * tenant's scope.
 */
export async function fingerprintsFromIndex(
  scope: TenantScope,
  key: StoreKey,
  ranges: readonly HashRange[],
): Promise<RangeFingerprint[]> {
  const plans = ranges.map((r) => rangePlan(r))
  const prefixes = [...new Set(plans.flatMap((plan) => plan?.nodes.map((n) => n.prefix) ?? []))]
  const edges = plans.flatMap((plan) => plan?.edges.map((e) => e.range) ?? [])
  const lit = escapeLiteral
  const where = `tenant_id = ${lit(key.tenant)} AND store = ${lit(key.store)}`
  const parts: string[] = []
  if (prefixes.length)
    parts.push(
      `SELECT -1 AS part, prefix AS k, node AS v FROM weft_sums WHERE ${where} AND prefix IN (${prefixes.map(lit).join(', ')})`,
    )
  edges.forEach((e, i) =>
    parts.push(
      `SELECT ${i} AS part, hash AS k, NULL AS v FROM weft_entries WHERE ${where} AND hash >= ${lit(e.lower)}` +
        (e.upper === null ? '' : ` AND hash < ${lit(e.upper)}`),
    ),
  )
  const rows = parts.length
    ? await scope.readOnce<{ part: number; k: string; v: string | null }>(
        `reading ${key.store}`,
        parts.join(' UNION ALL '),
      )
    : []
  const nodes = new Map<string, string>()
  const edgeHashes: string[][] = edges.map(() => [])
  for (const r of rows) {
    if (r.part < 0) nodes.set(r.k, r.v!)
    else edgeHashes[r.part]!.push(r.k)
  }
  // The reader hands back what the statement read; two edges with the same bounds hold the same hashes.
  const byBounds = new Map(edges.map((e, i) => [boundsKey(e), edgeHashes[i]!]))
  return indexedFingerprints(ranges, {
    sums: async (asked) =>
      asked.map((p) => {
        const v = nodes.get(p)
        if (v === undefined) return undefined
        const sum = decodeSum(v)
        if (!sum) throw new WeftError(ErrorCodes.STORAGE_ERROR, `malformed fingerprint index node ${JSON.stringify(p)}`)
        return sum
      }),
    hashes: async (r) => byBounds.get(boundsKey(r))!,
  })
}

const boundsKey = (r: HashRange): string => JSON.stringify([r.lower, r.upper])
