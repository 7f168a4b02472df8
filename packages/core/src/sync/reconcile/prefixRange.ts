import type { HashRange } from '../../store/index.ts'

const HEX = '0123456789abcdef'

/** The hashes under a hex prefix, as a range: `[p, p+1)`; the all-`f` prefixes are unbounded above. */
export function prefixRange(prefix: string): HashRange {
  let i = prefix.length - 1
  while (i >= 0 && prefix[i] === 'f') i--
  if (i < 0) return { lower: prefix, upper: null }
  return { lower: prefix, upper: prefix.slice(0, i) + HEX[HEX.indexOf(prefix[i]!) + 1]! }
}

/** The 16 child prefixes of `prefix`. */
export function childPrefixes(prefix: string): string[] {
  return [...HEX].map((d) => prefix + d)
}

/** True for a lowercase hex string of at most 64 characters. */
export function isPrefix(p: unknown): p is string {
  return typeof p === 'string' && p.length <= 64 && /^[0-9a-f]*$/.test(p)
}
