/**
 * Range-based set reconciliation over entry hashes: fingerprints of hash ranges are compared and
 * differing ranges split until the differences are found, so the bytes exchanged grow with the
 * difference times log n, not with the store size. Message-driven and transport-independent.
 */
export { createReconcileMessage } from './createReconcileMessage.ts'
export { processReconcileMessage } from './processReconcileMessage.ts'
export { reconcile, reconcileInProcess } from './reconcile.ts'
export {
  encodeReconcileMessage,
  parseReconcileMessage,
  checkReconcileMessage,
  packHashes,
  unpackHashes,
} from './encodeReconcileMessage.ts'
export { SortedHashSet } from './SortedHashSet.ts'
export { reconcileCost, splitByCost } from './reconcileCost.ts'
export { prefixRange, childPrefixes, isPrefix } from './prefixRange.ts'
export { RECONCILE_VERSION, RECONCILE_LIMITS, DEFAULT_RECONCILE_OPTIONS, BRANCHES } from './ReconcileMessage.ts'
export type {
  ReconcileMessage,
  ReconcileItem,
  ReconcileOptions,
  ReconcileRole,
  ReconcileSource,
} from './ReconcileMessage.ts'
export type { ReconcileStep } from './processReconcileMessage.ts'
export type { ReconcileResult } from './reconcile.ts'
