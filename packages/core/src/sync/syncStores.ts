import { copyMissingEntries, type ChangeStore, type CopyResult, type ProgressOptions } from '../store/index.ts'

/**
 * Copies every entry `source` holds that `target` lacks. Each entry is verified by the target.
 * `onProgress` hears how far the copy is (see {@link SyncProgress}); `maxBatchBytes` bounds the
 * bytes of each batch read and appended (see `CopyOptions.maxBatchBytes`).
 */
export function syncStores(
  source: ChangeStore,
  target: ChangeStore,
  options: ProgressOptions & { signal?: AbortSignal; maxBatchBytes?: number } = {},
): Promise<CopyResult> {
  return copyMissingEntries(source, target, options)
}
