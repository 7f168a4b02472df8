import type { AppendResult, ChangeStore, CheckedRead, RejectedEntry } from './ChangeStore.ts'
import type { EntryEnvelope, VouchLookup } from '../entries/index.ts'
import { ErrorCodes, isWeftError, WeftError } from '../errors.ts'
import type { ChangeHash } from '../types.ts'
import { throwIfAborted } from '../abort.ts'
import { ProgressReporter, type ProgressOptions } from './SyncProgress.ts'

/** Entries per batch unless the caller says otherwise. */
const DEFAULT_BATCH_SIZE = 2_000
/** Bytes of entries per batch, about, unless the caller says otherwise. */
const DEFAULT_BATCH_BYTES = 32 * 1024 * 1024
/**
 * The entry size a read from a store that does not check what it reads plans for: a little over
 * the largest attachment chunk (512 KiB of plaintext) sealed.
 */
const ASSUMED_ENTRY_BYTES = 513 * 1024

/** What copying entries between two stores did. */
export interface CopyResult {
  /** Entries the target did not have and now holds. */
  readonly added: ChangeHash[]
  /** Entries the target already held by the time they arrived. */
  readonly existing: number
  /**
   * Entries refused, each with its typed error: by the target, or by a source that checks what it
   * reads (see `ChangeStore.getChangesChecked`) and found its bytes tampered.
   */
  readonly rejected: RejectedEntry[]
  /** Bytes of the entries read from the source. */
  readonly bytes: number
}

export interface CopyOptions extends ProgressOptions {
  /** Entries per read and append, at most. */
  readonly batchSize?: number
  /**
   * Bytes of entries per read and append, about (default 32 MiB): a batch ends once its entries
   * reach it, so a copy of large entries (attachment chunks) holds about two batches of this size
   * (one appended while the next is read). From a server, a batch passes it by at most one answer
   * (at most the server's `maxResponseBytes`). A store that caps a read by its entries' sizes
   * (`getChangesUpTo`: in memory, PostgreSQL) is read once a batch, within the cap. Any other store
   * is read a few entries at a time (`maxBatchBytes / 513 KiB`, 63 by default), and a batch stays
   * within the cap unless it meets an entry larger than an attachment chunk's (then by less than
   * that many such entries). Either way a batch holds one entry at least, however large.
   */
  readonly maxBatchBytes?: number
  /** Called after each batch is durable in the target, with the entries it added. */
  readonly onBatch?: (added: ChangeHash[]) => Promise<void>
  readonly signal?: AbortSignal
}

/**
 * Copies every entry `source` holds and `target` lacks, in batches. The target verifies each
 * entry; refusals are reported, never fatal. When either store is remote (offers
 * `reconcileWith`), the difference is found by set reconciliation, so bytes exchanged grow with
 * the difference, and put in the source's arrival order when it is more than one batch; otherwise
 * by comparing hash lists in memory, in the source's arrival order.
 */
export async function copyMissingEntries(
  source: ChangeStore,
  target: ChangeStore,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
  const signal = options.signal ? { signal: options.signal } : {}
  new ProgressReporter(options).report({ phase: 'reconcile', entries: 0, bytes: 0 })
  let missing = target.reconcileWith
    ? (await target.reconcileWith(source, signal)).have
    : source.reconcileWith
      ? (await source.reconcileWith(target, signal)).need
      : await source.findNewChanges(new Set(await target.getAllChangeHashes()))
  // Reconciliation finds the difference in hash order. Copied in that order, most entries would
  // reach the target in a batch before the entries they depend on: each would cost its own
  // signature check (its voucher not yet there) and wait to be materialised. In the source's
  // arrival order, a chain arrives together. One batch is checked and applied whole, in any order.
  if (missing.length > batchSize && source.inArrivalOrder && (target.reconcileWith || source.reconcileWith))
    missing = await source.inArrivalOrder(missing)
  return copyEntries(source, target, missing, batchSize, options)
}

/** Copies the named entries from `source` to `target` in batches. */
export async function copyEntries(
  source: ChangeStore,
  target: ChangeStore,
  hashes: readonly ChangeHash[],
  batchSize = DEFAULT_BATCH_SIZE,
  options: Omit<CopyOptions, 'batchSize'> = {},
): Promise<CopyResult> {
  const added: ChangeHash[] = []
  const rejected: RejectedEntry[] = []
  let existing = 0
  const progress = new ProgressReporter(options)
  const total = hashes.length
  let done = 0
  let bytes = 0
  progress.report({ phase: 'copy', entries: 0, totalEntries: total, bytes: 0 })
  // The target answers for what it holds, so an entry is accepted as if appended to it directly.
  const vouched = target.vouched ? { vouched: target.vouched.bind(target) } : {}
  const maxBytes = options.maxBatchBytes ?? DEFAULT_BATCH_BYTES
  if (!(maxBytes > 0)) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'maxBatchBytes must be a positive number')
  // One batch is read ahead while the one before it is appended (and, with `onBatch`,
  // materialised), so a remote source's transfer overlaps the target's work. And when the target
  // says how many entries an append may carry (so no batch is split after the next has started),
  // a batch's append starts before the one before it has committed: the target checks it while the
  // earlier batch is still being stored (a remote target: still on the wire and being checked by
  // the server). The target commits appends in the order they were called and settles what a
  // batch cannot authenticate by itself after every earlier append committed, so the outcome is
  // what appending one batch at a time decides; results and `onBatch` calls are taken in order too.
  const overlap = target.maxBatch !== undefined
  const size = overlap ? Math.max(1, Math.min(batchSize, target.maxBatch!)) : batchSize
  const readBatch = (from: number): Promise<BatchRead> =>
    readCapped(source, hashes.slice(from, from + size), maxBytes, vouched)
  let ahead: Promise<BatchRead> | undefined
  let appending: { results: Promise<AppendResult[]>; done: number; bytes: number } | undefined
  const settle = async (pending: NonNullable<typeof appending>): Promise<void> => {
    for (const result of await pending.results) {
      added.push(...result.added)
      rejected.push(...result.rejected)
      existing += result.existing.length
      if (result.added.length && options.onBatch) await options.onBatch(result.added)
    }
    progress.report({ phase: 'copy', entries: pending.done, totalEntries: total, bytes: pending.bytes })
  }
  // On a failure (or an abort), the append still in flight is waited for before the copy throws
  // (the last one called commits last), so nothing it started goes on after it: what it stored
  // stays stored, unreported.
  try {
    for (let i = 0; i < hashes.length;) {
      throwIfAborted(options.signal, 'copy')
      let read = await (ahead ?? readBatch(i))
      const taken = read.taken
      // Read ahead, an entry was checked before the batch before it was stored, which may vouch for
      // it: what that check refused is read and checked again now (the target answers once the
      // earlier appends commit), so acceptance is what a copy one batch at a time decides (refusals
      // are rare, so this costs nothing in the usual case).
      if (ahead && read.rejected.length) {
        const again = await readCapped(
          source,
          read.rejected.map((r) => r.hash),
          Infinity,
          vouched,
        )
        read = { entries: [...read.entries, ...again.entries], rejected: again.rejected, taken }
      }
      i += taken
      ahead = i < hashes.length ? readBatch(i) : undefined
      ahead?.catch(() => undefined) // awaited on the next turn, which throws a failure there
      rejected.push(...read.rejected)
      done += taken
      for (const e of read.entries) bytes += e.bytes.length
      const next = { results: appendSplitting(target, read.entries), done, bytes }
      next.results.catch(() => undefined) // awaited below or on the next turn, which throws a failure there
      const before = appending
      appending = overlap ? next : undefined
      if (before) await settle(before)
      if (!overlap) await settle(next)
    }
    if (appending) await settle(appending)
  } catch (err) {
    await appending?.results.catch(() => undefined)
    throw err
  }
  progress.report({ phase: 'done', entries: done, totalEntries: total, bytes })
  return { added, existing, rejected, bytes }
}

/** One batch read: its entries and refusals, of the first `taken` hashes asked for. */
interface BatchRead extends CheckedRead {
  readonly taken: number
}

/**
 * Reads `names` from `source`, from the first, until the entries read reach `maxBytes` (one entry
 * at least). A store that checks what it reads (a server) stops within one of its answers; a store
 * that caps a read by its entries' sizes (`getChangesUpTo`) takes what fits in one read; any
 * other store is read a few entries at a time, each read no more than the room left holds of
 * entries of {@link ASSUMED_ENTRY_BYTES} (or of the largest read so far, if larger).
 */
async function readCapped(
  source: ChangeStore,
  names: readonly ChangeHash[],
  maxBytes: number,
  vouched: { vouched?: VouchLookup },
): Promise<BatchRead> {
  if (source.getChangesChecked) {
    const read = await source.getChangesChecked(names, { ...vouched, maxBytes })
    const taken = read.taken ?? names.length
    // A read that answered none of the hashes would copy nothing and never end.
    if (names.length && !(Number.isInteger(taken) && taken >= 1 && taken <= names.length))
      throw new WeftError(ErrorCodes.STORAGE_ERROR, `a checked read answered ${taken} of ${names.length} hashes`)
    return { entries: read.entries, rejected: read.rejected, taken }
  }
  if (source.getChangesUpTo) {
    const read = await source.getChangesUpTo(names, maxBytes)
    if (names.length && !(Number.isInteger(read.taken) && read.taken >= 1 && read.taken <= names.length))
      throw new WeftError(ErrorCodes.STORAGE_ERROR, `a capped read answered ${read.taken} of ${names.length} hashes`)
    return { entries: read.entries, rejected: [], taken: read.taken }
  }
  const entries: EntryEnvelope[] = []
  let bytes = 0
  let largest = ASSUMED_ENTRY_BYTES
  let taken = 0
  while (taken < names.length) {
    // As many as the room left holds of entries that large; the first read of a batch takes one at least.
    const room = Math.floor((maxBytes - bytes) / largest)
    if (room < 1 && taken > 0) break
    const step = Math.max(1, room)
    const part = names.slice(taken, taken + step)
    for (const e of await source.getChanges(part)) {
      entries.push(e)
      bytes += e.bytes.length
      if (e.bytes.length > largest) largest = e.bytes.length
    }
    taken += part.length
  }
  return { entries, rejected: [], taken }
}

/** Appends, halving the batch whenever the target says it is over its per-call limit. */
async function appendSplitting(target: ChangeStore, entries: EntryEnvelope[]): Promise<AppendResult[]> {
  try {
    return [await target.appendMany(entries)]
  } catch (err) {
    if (!isWeftError(err, ErrorCodes.TOO_MANY_ENTRIES) || entries.length <= 1) throw err
    const mid = entries.length >> 1
    return [
      ...(await appendSplitting(target, entries.slice(0, mid))),
      ...(await appendSplitting(target, entries.slice(mid))),
    ]
  }
}
