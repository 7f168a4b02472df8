/**
 * A small seeded PRNG (mulberry32) for choices a test derives from a fast-check value: the same
 * seed always makes the same choices, so a counterexample replays exactly.
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A shuffled copy of `items`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** A random subset of `items` (each kept with probability `p`), in random order. */
export function randomSubset<T>(items: readonly T[], random: () => number, p = 0.5): T[] {
  return shuffled(
    items.filter(() => random() < p),
    random,
  )
}
