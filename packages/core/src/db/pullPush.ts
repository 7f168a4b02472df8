import { copyMissingEntries, type ChangeStore, type CopyOptions, type CopyResult } from '../store/index.ts'
import type { ChangeHash } from '../types.ts'
import type { SyncCallOptions, SyncReport } from './databaseTypes.ts'
import { emptyReport, mergeReports, type MaterialiseReport } from './MaterialiseReport.ts'

/** What a pull needs of the receiving database. */
export interface PullTarget {
  getStore(): ChangeStore
  syncStoreChanges(hashes: readonly ChangeHash[]): Promise<MaterialiseReport>
}

/**
 * Copies every entry `source` has and `target` lacks, materialising each batch as it lands. With
 * `copy` (a lazily synced database's pull without attachment chunks), that copies instead.
 */
export async function pullInto(
  target: PullTarget,
  source: ChangeStore,
  options: SyncCallOptions,
  copy: (from: ChangeStore, options: CopyOptions) => Promise<CopyResult> = (from, o) =>
    copyMissingEntries(from, target.getStore(), o),
): Promise<SyncReport> {
  let materialised = emptyReport()
  const copied = await copy(source, {
    ...options,
    onBatch: async (added) => {
      materialised = mergeReports(materialised, await target.syncStoreChanges(added))
    },
  })
  return { transferred: copied.added.length, existing: copied.existing, rejected: copied.rejected, materialised }
}

/** Copies every entry `source` has to a bare store `target` (nothing materialises there). */
export async function pushFrom(
  source: ChangeStore,
  target: ChangeStore,
  options: SyncCallOptions,
): Promise<SyncReport> {
  const copy = await copyMissingEntries(source, target, options)
  return {
    transferred: copy.added.length,
    existing: copy.existing,
    rejected: copy.rejected,
    materialised: emptyReport(),
  }
}
