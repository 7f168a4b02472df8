import { BRANCHES, type ReconcileItem, type ReconcileMessage } from './ReconcileMessage.ts'

/** Range reads one named range costs a receiver at most: its fingerprint, then 16 child fingerprints if it splits it. */
const PER_RANGE = 1 + BRANCHES

/**
 * The range reads (fingerprints from the index, or short listings) a receiver makes at most to
 * answer one item: a `fingerprint` or `ids` names one range, a `split` sixteen, and each named
 * range may be split in turn; a `diff` is only read. Each range read costs a few store reads with
 * the fingerprint index, so the sum bounds the work of a message whatever the store's size.
 */
export function itemCost(item: ReconcileItem): number {
  return item.t === 'split' ? BRANCHES * PER_RANGE : item.t === 'diff' ? 0 : PER_RANGE
}

/** The range reads a receiver makes at most to answer `message` (see {@link itemCost}). */
export function reconcileCost(message: ReconcileMessage): number {
  let cost = 0
  for (const item of message.items) cost += itemCost(item)
  return cost
}

/** `message` cut into messages of at most `maxCost` each, items in order (answers are per item, so they simply join). */
export function splitByCost(message: ReconcileMessage, maxCost: number): ReconcileMessage[] {
  const parts: ReconcileMessage[] = []
  let items: ReconcileItem[] = []
  let cost = 0
  for (const item of message.items) {
    const c = itemCost(item)
    if (items.length && cost + c > maxCost) {
      parts.push({ v: message.v, items })
      items = []
      cost = 0
    }
    items.push(item)
    cost += c
  }
  if (items.length || parts.length === 0) parts.push({ v: message.v, items })
  return parts
}
