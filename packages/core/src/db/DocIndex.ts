import { concatBytes, utf8 } from '../codec/index.ts'
import { decryptCommitted, Domain, encryptCommitted, NONCE_BYTES, randomBytes } from '../crypto/index.ts'
import { readRecordPage, type KeyValueStore } from '../store/index.ts'
import type { DocId, Origin } from '../types.ts'
import type { DocState } from './DocState.ts'
import { decodeHeader, decodeSummary, encodeHeader, encodeSummary, type IndexHeader } from './docIndexRecord.ts'

/** Summary reads one `readSummaries` keeps in flight at a time. */
const READS_IN_FLIGHT = 64

/** Where a database keeps its persisted index: a record store, a key prefix, and the key that seals it. */
export interface IndexStorage {
  readonly kv: KeyValueStore
  /** Prefix of every key of this database's index (`<tenant>/<db>/<device>/`). */
  readonly prefix: string
  /** 32 bytes; the index is encrypted at rest under it (XChaCha20-Poly1305, key-committing). */
  readonly key: Uint8Array
}

/** A summary read back: the document's state, or `unreadable` when its stored value does not open or parse. */
export type StoredSummary = DocState | 'unreadable'

/** Key of the header, and prefix of the summaries, under the database's prefix. */
const HEADER = 'h'
const SUMMARY = 's/'

/**
 * A database's persisted index: a small header (store position, trust digest, document count,
 * held entries and gaps; see {@link IndexHeader}) and one summary per document under its own key
 * (id, origin, key ids, readable and deleted, heads, held entries, gaps, snapshot pointer). An
 * open reads the header only; a summary is read when its document is first used, and listings
 * page through the summaries in key order. Every value is encrypted on its own, bound to its key.
 *
 * It is a cache, never a source of truth: the header is written after the summaries it covers,
 * so a crash leaves summaries that are newer than the header's position, never older, and the
 * next open re-derives every document named after that position from the store. A header that
 * is missing or does not open makes the database rebuild the index from the store.
 */
export class DocIndex {
  readonly #storage: IndexStorage | undefined
  readonly #own: Origin

  constructor(storage: IndexStorage | undefined, own: Origin) {
    this.#storage = storage
    this.#own = own
  }

  /** Whether there is storage behind it (without, the database keeps every summary in memory). */
  get persisted(): boolean {
    return this.#storage !== undefined
  }

  /** The stored header; undefined when there is none or it does not open. */
  async loadHeader(): Promise<IndexHeader | undefined> {
    const st = this.#storage
    if (!st) return undefined
    try {
      const plain = await this.#read(st.prefix + HEADER)
      return plain ? decodeHeader(plain) : undefined
    } catch {
      return undefined
    }
  }

  /** The stored summaries of `ids` (an id with none is left out). */
  async readSummaries(ids: Iterable<DocId>): Promise<Map<DocId, StoredSummary>> {
    const out = new Map<DocId, StoredSummary>()
    const st = this.#storage
    if (!st) return out
    const list = [...ids]
    // A window of reads in flight at a time: a page of summaries (an index loading 1,000 versions
    // at once) costs about one storage round trip per window, not one per summary.
    for (let i = 0; i < list.length; i += READS_IN_FLIGHT) {
      const keys = list.slice(i, i + READS_IN_FLIGHT).map((id) => st.prefix + SUMMARY + id)
      const values = await Promise.all(keys.map((key) => st.kv.get(key)))
      values.forEach((bytes, k) => {
        if (bytes) out.set(list[i + k]!, this.#summary(list[i + k]!, keys[k]!, bytes))
      })
    }
    return out
  }

  /** Every stored summary, `limit` at a time, in key order. */
  async *summaryPages(limit: number): AsyncGenerator<[DocId, StoredSummary][]> {
    const st = this.#storage
    if (!st) return
    const prefix = st.prefix + SUMMARY
    for (let after: string | undefined; ;) {
      const page = await readRecordPage(st.kv, prefix, { after, limit })
      if (page.length === 0) return
      yield page.map(([key, bytes]) => {
        const id = key.slice(prefix.length) as DocId
        return [id, this.#summary(id, key, bytes)]
      })
      after = page[page.length - 1]![0]
      if (page.length < limit) return
    }
  }

  /** Writes the summaries of `states`, each under its own key. */
  async writeSummaries(states: Iterable<DocState>): Promise<void> {
    const st = this.#storage
    if (!st) return
    const list = [...states]
    const nonces = randomBytes(NONCE_BYTES * list.length) // one call to the generator for the batch
    for (const [i, s] of list.entries()) {
      const nonce = nonces.subarray(i * NONCE_BYTES, (i + 1) * NONCE_BYTES)
      await this.#put(st.prefix + SUMMARY + s.id, encodeSummary(s, this.#own), nonce)
    }
  }

  /** Writes the header: after the summaries it covers. */
  async writeHeader(header: IndexHeader): Promise<void> {
    const st = this.#storage
    if (st) await this.#put(st.prefix + HEADER, encodeHeader(header))
  }

  /** Deletes the whole index, header first: a crash part way leaves no header, so the next open rebuilds. */
  async erase(): Promise<void> {
    const st = this.#storage
    if (!st) return
    await st.kv.delete(st.prefix + HEADER)
    for (const key of await st.kv.keys(st.prefix)) await st.kv.delete(key)
  }

  #summary(id: DocId, key: string, bytes: Uint8Array): StoredSummary {
    try {
      const plain = this.#open(key, bytes)
      const s = plain && decodeSummary(plain, this.#own)
      return s && s.id === id ? s : 'unreadable'
    } catch {
      return 'unreadable'
    }
  }

  async #put(key: string, plain: Uint8Array, nonce = randomBytes(NONCE_BYTES)): Promise<void> {
    const st = this.#storage!
    await st.kv.put(key, concatBytes(nonce, encryptCommitted(plain, st.key, nonce, ad(key))))
  }

  async #read(key: string): Promise<Uint8Array | undefined> {
    const bytes = await this.#storage!.kv.get(key)
    return bytes && this.#open(key, bytes)
  }

  #open(key: string, bytes: Uint8Array): Uint8Array | undefined {
    if (bytes.length < NONCE_BYTES) return undefined
    const st = this.#storage!
    return decryptCommitted(bytes.subarray(NONCE_BYTES), st.key, bytes.subarray(0, NONCE_BYTES), ad(key)) ?? undefined
  }
}

/** Associated data: the value is bound to its key, so one cannot be swapped for another. */
function ad(key: string): Uint8Array {
  return utf8(`${Domain.dbIndexRecord}\u0000${key}`)
}
