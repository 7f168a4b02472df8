import type { ChangeHash } from '../../types.ts'
import { createReconcileMessage } from './createReconcileMessage.ts'
import { processReconcileMessage } from './processReconcileMessage.ts'
import { splitByCost } from './reconcileCost.ts'
import {
  RECONCILE_LIMITS,
  type ReconcileItem,
  type ReconcileMessage,
  type ReconcileOptions,
  type ReconcileSource,
} from './ReconcileMessage.ts'

/** What reconciliation found, from the initiator's side. */
export interface ReconcileResult {
  /** Hashes the initiator holds and the peer lacks. */
  readonly have: ChangeHash[]
  /** Hashes the peer holds and the initiator lacks. */
  readonly need: ChangeHash[]
  /** Messages the initiator sent (each answered once; a message over the work budget goes as several). */
  readonly rounds: number
}

/**
 * Runs reconciliation as the initiator: `exchange` carries one message to the responder and
 * returns its answer (over a network, or straight into `processReconcileMessage` in process).
 */
export async function reconcile(
  source: ReconcileSource,
  exchange: (message: ReconcileMessage) => Promise<ReconcileMessage>,
  options: ReconcileOptions & { readonly signal?: AbortSignal } = {},
): Promise<ReconcileResult> {
  const have = new Set<ChangeHash>()
  const need = new Set<ChangeHash>()
  let message: ReconcileMessage | null = await createReconcileMessage(source, options)
  let rounds = 0
  while (message) {
    // A message over the receiver's work budget goes as several; the answers join item by item.
    const answers: ReconcileItem[] = []
    for (const part of splitByCost(message, RECONCILE_LIMITS.maxRangeReadsPerMessage)) {
      options.signal?.throwIfAborted()
      answers.push(...(await exchange(part)).items)
      rounds++
    }
    const answer: ReconcileMessage = { v: message.v, items: answers }
    const step = await processReconcileMessage(source, answer, { ...options, role: 'initiator' })
    for (const h of step.have) have.add(h)
    for (const h of step.need) need.add(h)
    message = step.message
  }
  return { have: [...have], need: [...need], rounds }
}

/** Reconciles two sources in one process: what `a` holds that `b` lacks, and the reverse. */
export function reconcileInProcess(
  a: ReconcileSource,
  b: ReconcileSource,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  return reconcile(
    a,
    async (m) => (await processReconcileMessage(b, m, { ...options, role: 'responder' })).message!,
    options,
  )
}
