import * as A from '@automerge/automerge'
import { toBase64Url } from '../../codec/index.ts'
import { decodeChangePayload, decryptEntry, parseEntry, type ParsedEntry } from '../../entries/index.ts'
import { ErrorCodes, WeftError } from '../../errors.ts'
import type { KeyBag } from '../../keys/index.ts'
import type { ChangeStore } from '../../store/index.ts'
import type { ChangeHash, DocId, EntryKind } from '../../types.ts'
import type { DocData } from '../DocState.ts'

/** One entry of a document's history, from its signed header. */
export interface HistoryEntry {
  readonly hash: ChangeHash
  readonly kind: EntryKind
  /** The author's Ed25519 key, base64url (a device id of the directory, or a partner's key). */
  readonly author: string
  /** When the author's clock said it wrote the entry (ms since the epoch). */
  readonly createdAt: number
  readonly keyId: string
  readonly keyVersion: number
  /** The entries it follows. */
  readonly deps: readonly ChangeHash[]
}

/** Where to look: the document's entry heads (as `Document.getHeads()` gives them) or a time. */
export type PointInHistory = { readonly heads: readonly ChangeHash[] } | { readonly time: number }

/** What history reading needs from its database. */
export interface HistorySource {
  readonly store: ChangeStore
  readonly keyBag: KeyBag
  /** A handle on the readable document (materialised on demand; holding it keeps it so). */
  doc(id: DocId): Promise<{ getData(): DocData } | undefined>
  /** Every document id the database knows, readable or not. */
  ids(): Promise<DocId[]>
}

/**
 * A document's history and past states, read from its entries' signed headers and its current
 * Automerge state: a past state is an Automerge view of the document at the heads the chosen
 * entries carry, so nothing is replayed, whatever the history's length.
 */
export class DocumentHistory {
  readonly #src: HistorySource

  constructor(source: HistorySource) {
    this.#src = source
  }

  /** The document's entries (snapshots left out: they repeat what they cover), newest first. */
  async history(id: DocId, options: { limit?: number; before?: number } = {}): Promise<HistoryEntry[]> {
    const entries = (await this.#entries(id)).map(toHistoryEntry)
    entries.sort((a, b) => b.createdAt - a.createdAt || (a.hash < b.hash ? 1 : -1))
    const from = options.before === undefined ? entries : entries.filter((e) => e.createdAt < options.before!)
    return from.slice(0, options.limit ?? from.length)
  }

  /**
   * The document as it was at `point`: after the entries `heads` name and everything they follow,
   * or after every entry written at or before `time` (by its author's clock). Undefined when it did
   * not exist then, or was deleted.
   */
  async at(id: DocId, point: PointInHistory): Promise<DocData | undefined> {
    const doc = await this.#src.doc(id)
    if (!doc) return undefined
    const entries = await this.#entries(id)
    const chosen = this.#choose(entries, point)
    if (chosen.length === 0 || chosen.some((e) => e.header.kind === 'delete')) return undefined
    const heads = this.#automergeHeads(chosen)
    return JSON.parse(JSON.stringify(A.view(doc.getData() as A.Doc<DocData>, heads))) as DocData
  }

  /** Ids of the documents that existed, not deleted, at `time`. */
  async idsAt(time: number): Promise<DocId[]> {
    const out: DocId[] = []
    for (const id of await this.#src.ids()) {
      const entries = (await this.#entries(id)).filter((e) => e.header.createdAt <= time)
      if (entries.length && !entries.some((e) => e.header.kind === 'delete')) out.push(id)
    }
    return out.sort()
  }

  /** Automerge patches that turn the document at `from` into the document at `to` (entry heads). */
  async diff(id: DocId, from: readonly ChangeHash[], to: readonly ChangeHash[]): Promise<A.Patch[]> {
    const doc = await this.#src.doc(id)
    if (!doc) throw new WeftError(ErrorCodes.DOCUMENT_NOT_FOUND, `no readable document ${id}`)
    const entries = await this.#entries(id)
    const heads = (h: readonly ChangeHash[]) => this.#automergeHeads(this.#choose(entries, { heads: h }))
    return A.diff(doc.getData() as A.Doc<DocData>, heads(from), heads(to))
  }

  /** The entries the point covers. */
  #choose(entries: ParsedEntry[], point: PointInHistory): ParsedEntry[] {
    if ('time' in point) return entries.filter((e) => e.header.createdAt <= point.time)
    const byHash = new Map(entries.map((e) => [e.hash, e]))
    const chosen = new Map<ChangeHash, ParsedEntry>()
    const stack = [...point.heads]
    for (const h of stack)
      if (!byHash.has(h))
        throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `entry ${h} is not in this document's history`)
    while (stack.length) {
      const h = stack.pop()!
      const e = byHash.get(h)
      if (!e || chosen.has(h)) continue
      chosen.set(h, e)
      stack.push(...e.header.deps)
    }
    return [...chosen.values()]
  }

  /** The Automerge heads of the changes the entries carry: those no other of them follows. */
  #automergeHeads(entries: readonly ParsedEntry[]): A.Heads {
    const hashes = new Set<string>()
    const followed = new Set<string>()
    for (const e of entries) {
      if (e.header.kind === 'delete') continue
      let changes: Uint8Array[]
      try {
        changes = decodeChangePayload(decryptEntry(e, this.#src.keyBag))
      } catch {
        continue // not readable here: the document's state holds nothing of it either
      }
      for (const c of changes) {
        const decoded = A.decodeChange(c)
        hashes.add(decoded.hash)
        for (const d of decoded.deps) followed.add(d)
      }
    }
    return [...hashes].filter((h) => !followed.has(h))
  }

  async #entries(id: DocId): Promise<ParsedEntry[]> {
    const hashes = await this.#src.store.getAllChangeHashesForDoc(id)
    const out: ParsedEntry[] = []
    for (const env of await this.#src.store.getChanges(hashes)) {
      const entry = parseEntry(env.hash, env.bytes)
      if (entry.header.kind !== 'snapshot' && entry.header.kind !== 'chunk') out.push(entry)
    }
    return out
  }
}

function toHistoryEntry(e: ParsedEntry): HistoryEntry {
  const h = e.header
  return {
    hash: e.hash,
    kind: h.kind,
    author: toBase64Url(h.author),
    createdAt: h.createdAt,
    keyId: h.keyId,
    keyVersion: h.keyVersion,
    deps: [...h.deps],
  }
}
