import type { Scalar } from './types.ts'

const RANK = { null: 0, boolean: 1, number: 2, string: 3 } as const

/** True for the values indexes and queries compare: strings, finite numbers, booleans, null. */
export function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
}

/** A total order on scalars: null < booleans < numbers < strings; within a type the natural order. */
export function compareValues(a: Scalar, b: Scalar): number {
  const ra = RANK[a === null ? 'null' : (typeof a as 'boolean' | 'number' | 'string')]
  const rb = RANK[b === null ? 'null' : (typeof b as 'boolean' | 'number' | 'string')]
  if (ra !== rb) return ra - rb
  if (a === b || a === null) return 0
  return (a as string | number | boolean) < (b as string | number | boolean) ? -1 : 1
}

/** Compares tuples part by part; a shorter tuple that is a prefix comes first. */
export function compareTuples(a: readonly Scalar[], b: readonly Scalar[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareValues(a[i]!, b[i]!)
    if (c) return c
  }
  return a.length - b.length
}
