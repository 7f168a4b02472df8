import type { ChangeStore, ScanItem } from '../store/index.ts'
import type { Cursor } from '../types.ts'

/** Every entry of a store, in arrival order, by its index fields. */
export async function scanAll(store: ChangeStore): Promise<ScanItem[]> {
  const items: ScanItem[] = []
  for (let cursor: Cursor | null = null; ;) {
    const page = await store.scan(cursor, { limit: 10_000 })
    items.push(...page.entries)
    cursor = page.cursor
    if (page.done) return items
  }
}
