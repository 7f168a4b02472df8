// Small formatting helpers for the examples' printed accounts.

/** `1 document`, `3 documents`; pass `many` for irregular plurals. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** `1 entry`, `3 entries`: change entries, the unit of storage and sync. */
export function entries(n: number): string {
  return count(n, 'entry', 'entries')
}

/** The first 8 characters of an id or hash, enough to tell them apart in a log. */
export function short(id: string): string {
  return `${id.slice(0, 8)}…`
}
