import { copyMissingEntries, type ChangeStore, type CopyResult, type ProgressOptions } from '../store/index.ts'

/**
 * Copies every entry `source` holds that `target` lacks. Each entry is verified by the target.
 * `onProgress` hears how far the copy is (see {@link SyncProgress}).
 */
export function syncStores(
  source: ChangeStore,
  target: ChangeStore,
  options: ProgressOptions & { signal?: AbortSignal } = {},
): Promise<CopyResult> {
  return copyMissingEntries(source, target, options)
}
