import { throwIfAborted } from '../../abort.ts'
import { copyEntries, type ChangeStore, type CopyOptions, type CopyResult } from '../../store/index.ts'
import type { ChangeHash } from '../../types.ts'

/**
 * Copies every entry `source` holds and `target` lacks except attachment chunks: what a lazily
 * synced database pulls. It walks the source's arrival index (hash, document, kind: no entry
 * bytes) page by page, since set reconciliation over hashes cannot tell chunks from changes;
 * chunks are fetched when first read.
 */
export async function pullWithoutChunks(
  source: ChangeStore,
  target: ChangeStore,
  options: Omit<CopyOptions, 'batchSize'> = {},
): Promise<CopyResult> {
  const added: ChangeHash[] = []
  const rejected: CopyResult['rejected'] = []
  let existing = 0
  let bytes = 0
  let cursor = null
  for (;;) {
    throwIfAborted(options.signal, 'pull')
    const page = await source.scan(cursor, { limit: 2_000 })
    const wanted = page.entries.filter((e) => e.kind !== 'chunk').map((e) => e.hash)
    const held = wanted.length ? await target.has(wanted) : []
    const missing = wanted.filter((_, i) => !held[i])
    if (missing.length) {
      const copy = await copyEntries(source, target, missing, 2_000, options)
      added.push(...copy.added)
      rejected.push(...copy.rejected)
      existing += copy.existing
      bytes += copy.bytes
    }
    cursor = page.cursor
    if (page.done) break
  }
  return { added, existing, rejected, bytes }
}
