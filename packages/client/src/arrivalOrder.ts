import type { ChangeHash, ChangeStore } from '@weft/core'

/** `hashes` in `store`'s arrival order where the store can tell it (the held ones only), else as given. */
export async function arrivalOrder(store: ChangeStore, hashes: readonly ChangeHash[]): Promise<readonly ChangeHash[]> {
  if (!store.inArrivalOrder) return hashes
  const ordered = await store.inArrivalOrder(hashes)
  const placed = new Set(ordered)
  return [...ordered, ...hashes.filter((h) => !placed.has(h))]
}
