import type { EntryEnvelope, ParsedEntry } from '../entries/index.ts'
import type { ChangeHash, DocId, EntryKind } from '../types.ts'

/** An entry to materialise, known by its index fields; `parsed` when its bytes are already read. */
export interface IngestItem {
  readonly hash: ChangeHash
  readonly docId: DocId
  readonly kind: EntryKind
  readonly parsed?: ParsedEntry
}

/** Entries read from the store in one call while materialising. */
export const FETCH_CHUNK = 2_000

/** The items grouped by their document, each group in the order given. */
export function groupByDoc(items: readonly IngestItem[]): Map<DocId, IngestItem[]> {
  const byDoc = new Map<DocId, IngestItem[]>()
  for (const it of items) {
    let list = byDoc.get(it.docId)
    if (!list) byDoc.set(it.docId, (list = []))
    list.push(it)
  }
  return byDoc
}

/**
 * The store's parse of an entry it has just verified and stored, which its append listeners hear
 * (`VerifiedEntry.parsed`), when it is a parse of these very bytes.
 */
export function parsedByStore(env: EntryEnvelope): ParsedEntry | undefined {
  const parsed = (env as { readonly parsed?: ParsedEntry }).parsed
  return parsed?.bytes === env.bytes && parsed.hash === env.hash ? parsed : undefined
}
