import { fromHex } from '../../codec/index.ts'
import { packHashes } from './encodeReconcileMessage.ts'
import { prefixRange } from './prefixRange.ts'
import {
  DEFAULT_RECONCILE_OPTIONS,
  RECONCILE_VERSION,
  type ReconcileMessage,
  type ReconcileOptions,
  type ReconcileSource,
} from './ReconcileMessage.ts'

/**
 * The initiator's first message: the fingerprint of everything it holds (one round trip settles
 * two equal stores), or its whole hash list when it holds a handful.
 */
export async function createReconcileMessage(
  source: ReconcileSource,
  options: ReconcileOptions = {},
): Promise<ReconcileMessage> {
  const leaf = options.leafSize ?? DEFAULT_RECONCILE_OPTIONS.leafSize
  const all = prefixRange('')
  const mine = await source.fingerprint(all)
  if (mine.count <= leaf) {
    return { v: RECONCILE_VERSION, items: [{ t: 'ids', p: '', ids: packHashes(await source.hashesInRange(all)) }] }
  }
  return { v: RECONCILE_VERSION, items: [{ t: 'fingerprint', p: '', n: mine.count, fp: fromHex(mine.fingerprint) }] }
}
