import fc from 'fast-check'
import type { ChangeHash } from '../../src/types.ts'

/** Lowercase hex of exactly `length` characters. */
export const hex = (length: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length })

/**
 * Distinct hashes crowded under a few `prefixes` (and some anywhere), so that ranges cut through
 * index nodes and buckets of every depth.
 */
export function crowdedHashes(prefixes: readonly string[], maxLength: number): fc.Arbitrary<ChangeHash[]> {
  return fc.uniqueArray(
    fc.tuple(fc.constantFrom('', ...prefixes), hex(64)).map(([p, h]) => (p + h).slice(0, 64) as ChangeHash),
    { maxLength },
  )
}

/** A range bound: hex of every length up to `depth + 1`, a whole hash, one of `prefixes`, or a non-hex string. */
export function rangeBound(prefixes: readonly string[], depth: number): fc.Arbitrary<string> {
  return fc.oneof(...Array.from({ length: depth + 2 }, (_, i) => hex(i)), hex(64), fc.constantFrom(...prefixes, 'g'))
}
