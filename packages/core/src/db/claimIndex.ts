import type { KeyValueStore } from '../store/index.ts'

/** Index prefixes an open database writes, per record store. */
const claimed = new WeakMap<KeyValueStore, Set<string>>()

/**
 * Claims the persisted index at `prefix` of `kv` for one open database: two databases over the
 * same storage writing one index would interleave their deltas, so a second one (the same tenant
 * opened twice over one storage) runs without a persisted index until the first closes. Another
 * record store (a new storage factory over the same files, once the first closed) claims afresh.
 * Returns the release function, or undefined when another database holds it.
 */
export function claimIndex(kv: KeyValueStore, prefix: string): (() => void) | undefined {
  let set = claimed.get(kv)
  if (!set) claimed.set(kv, (set = new Set()))
  if (set.has(prefix)) return undefined
  set.add(prefix)
  let released = false
  return () => {
    if (!released) set.delete(prefix)
    released = true
  }
}
