/** Index prefixes an open database of this process writes. */
const claimed = new Set<string>()

/**
 * Claims the persisted index at `prefix` for one open database: two databases over the same
 * storage writing one index would interleave their deltas, so a second one (the same tenant opened
 * twice in one process) runs without a persisted index until the first closes. Returns the release
 * function, or undefined when another database holds it.
 */
export function claimIndex(prefix: string): (() => void) | undefined {
  if (claimed.has(prefix)) return undefined
  claimed.add(prefix)
  let released = false
  return () => {
    if (!released) claimed.delete(prefix)
    released = true
  }
}
