import { BRANCHES, type ReconcileItem, type ReconcileMessage } from './ReconcileMessage.ts'

/**
 * The ranges a receiver reads to answer one item: a `fingerprint` or `ids` names one range, a
 * `split` sixteen, a `diff` none (it is only read). Each range costs the receiver one fingerprint
 * from its index and at most one short listing, so the sum bounds the work of a message.
 */
export function itemCost(item: ReconcileItem): number {
  return item.t === 'split' ? BRANCHES : item.t === 'diff' ? 0 : 1
}

/** The ranges a receiver reads to answer `message` (see {@link itemCost}). */
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
