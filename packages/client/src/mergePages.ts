import type { ServerSocketMessage } from '@weft/protocol'

/** A socket message waiting to be handled, and the socket it came on. */
export interface Received {
  readonly ws: object
  readonly m: ServerSocketMessage
}

type EntriesMessage = Extract<ServerSocketMessage, { type: 'entries' }>

/**
 * Takes the next message off the front of `inbox`, merged with the pages of entries queued right
 * behind it for the same database on the same socket, up to `max.entries` entries and `max.bytes` of
entry bytes in all (a first page over either goes alone). One append of
 * the merged page checks one signature per chain where each page alone would check one per chain
 * per page; a catching-up client has pages queued, a client that keeps up gets each page alone.
 *
 * The merged page carries the last page's cursor, so it is stored only once every entry before it
 * is. A page that ends a catch-up (`done`) is never merged past: what follows waits for the
 * repair it starts, as it would unmerged.
 */
export function takeMerged(
  inbox: Received[],
  max: { readonly entries: number; readonly bytes: number },
): Received | undefined {
  const first = inbox.shift()
  if (!first || first.m.type !== 'entries') return first
  const pages: EntriesMessage[] = [first.m]
  let count = first.m.entries.length
  let bytes = entryBytes(first.m)
  for (let last = first.m; !last.done && inbox.length;) {
    const next = inbox[0]!
    if (next.ws !== first.ws || next.m.type !== 'entries' || next.m.db !== last.db) break
    const more = entryBytes(next.m)
    if (count + next.m.entries.length > max.entries || bytes + more > max.bytes) break
    inbox.shift()
    pages.push((last = next.m))
    count += last.entries.length
    bytes += more
  }
  if (pages.length === 1) return first
  const last = pages[pages.length - 1]!
  const m: EntriesMessage = {
    ...last,
    entries: pages.flatMap((p) => p.entries),
    reset: pages.some((p) => p.reset),
  }
  return { ws: first.ws, m }
}

function entryBytes(m: EntriesMessage): number {
  let n = 0
  for (const e of m.entries) n += e.bytes.length
  return n
}
