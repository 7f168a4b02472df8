import { copyMissingEntries, type ChangeStore, type CopyResult } from '../store/index.ts'

/** Copies every entry `source` holds that `target` lacks. Each entry is verified by the target. */
export function syncStores(
  source: ChangeStore,
  target: ChangeStore,
  options: { signal?: AbortSignal } = {},
): Promise<CopyResult> {
  return copyMissingEntries(source, target, options)
}
