import { concatBytes, utf8 } from '../codec/index.ts'
import { decryptCommitted, Domain, encryptCommitted, NONCE_BYTES, randomBytes } from '../crypto/index.ts'
import type { KeyValueStore } from '../store/index.ts'
import type { Origin } from '../types.ts'
import type { DocState } from './DocState.ts'
import { decodeIndexPayload, encodeIndexPayload, type IndexPayload } from './docIndexRecord.ts'

/** Where a database keeps its persisted index: a record store, a key prefix, and the key that seals it. */
export interface IndexStorage {
  readonly kv: KeyValueStore
  /** Prefix of every key of this database's index (`<tenant>/<db>/`). */
  readonly prefix: string
  /** 32 bytes; the index is encrypted at rest under it (XChaCha20-Poly1305, key-committing). */
  readonly key: Uint8Array
}

/** At most this many deltas are kept: an open reads each of them. */
const MAX_DELTAS = 1_024
/** Below this many deltas, a new base is written only when they hold an eighth of the documents. */
const MIN_DELTAS = 64

/**
 * A database's persisted index: a summary of every document (id, heads, status, key, held entries,
 * gaps, snapshot pointer) and the store position up to which the summaries reflect every entry. It
 * is a cache, never a source of truth: the database checks it against the store when it opens and
 * rebuilds it from the store when it is missing, unreadable, or was built under other trust.
 *
 * Stored as a base value holding every summary and deltas holding the summaries that changed since
 * (each one value, so each written atomically); a delta carries the position it brings the index
 * to. A new base folds the deltas in once they hold an eighth as many summaries as the base (so a
 * write costs a constant number of summaries written, amortised) and at least {@link MIN_DELTAS}
 * of them, or once there are {@link MAX_DELTAS}; the folded deltas are then deleted (a crash in
 * between leaves deltas the base already names, which a load skips).
 */
export class DocIndex {
  readonly #storage: IndexStorage | undefined
  readonly #own: Origin
  #next = 1
  #deltas = 0
  /** Summaries written in deltas since the base, and in the base. */
  #deltaDocs = 0
  #baseDocs = 0

  constructor(storage: IndexStorage | undefined, own: Origin) {
    this.#storage = storage
    this.#own = own
  }

  /** The stored index with its deltas folded in; undefined when there is none or it does not read. */
  async load(): Promise<IndexPayload | undefined> {
    const st = this.#storage
    if (!st) return undefined
    try {
      const base = await this.#read(`${st.prefix}base`)
      if (!base) return undefined
      const docs = new Map(base.docs.map((s) => [s.id, s]))
      this.#baseDocs = base.docs.length
      let { cursor, trust } = base
      let last = base.upTo
      for (const key of await st.kv.keys(`${st.prefix}d/`)) {
        const n = Number(key.slice(st.prefix.length + 2))
        if (!Number.isSafeInteger(n)) return undefined
        last = Math.max(last, n)
        if (n <= base.upTo) continue
        const delta = await this.#read(key)
        if (!delta) return undefined
        for (const s of delta.docs) docs.set(s.id, s)
        ;({ cursor, trust } = delta)
        this.#deltas++
        this.#deltaDocs += delta.docs.length
      }
      this.#next = last + 1
      return { cursor, trust, upTo: last, docs: [...docs.values()] }
    } catch {
      return undefined
    }
  }

  /**
   * Persists the summaries of `changed` documents at `cursor`; every few writes, or with `base`,
   * writes `all()` as a new base instead.
   */
  async write(
    payload: Omit<IndexPayload, 'upTo' | 'docs'>,
    changed: readonly DocState[],
    all: () => DocState[],
    base = false,
  ): Promise<void> {
    const st = this.#storage
    if (!st) return
    const fold = this.#deltas >= MAX_DELTAS || (this.#deltas >= MIN_DELTAS && this.#deltaDocs * 8 >= this.#baseDocs)
    if (base || fold) {
      const upTo = this.#next - 1
      const docs = all()
      await this.#put(`${st.prefix}base`, { ...payload, upTo, docs })
      for (const key of await st.kv.keys(`${st.prefix}d/`)) await st.kv.delete(key)
      this.#deltas = 0
      this.#deltaDocs = 0
      this.#baseDocs = docs.length
      return
    }
    const key = `${st.prefix}d/${String(this.#next++).padStart(12, '0')}`
    await this.#put(key, { ...payload, upTo: 0, docs: changed })
    this.#deltas++
    this.#deltaDocs += changed.length
  }

  async #put(key: string, payload: IndexPayload): Promise<void> {
    const st = this.#storage!
    const nonce = randomBytes(NONCE_BYTES)
    const sealed = encryptCommitted(encodeIndexPayload(payload, this.#own), st.key, nonce, ad(key))
    await st.kv.put(key, concatBytes(nonce, sealed))
  }

  async #read(key: string): Promise<IndexPayload | undefined> {
    const st = this.#storage!
    const bytes = await st.kv.get(key)
    if (!bytes || bytes.length < NONCE_BYTES) return undefined
    const plain = decryptCommitted(bytes.subarray(NONCE_BYTES), st.key, bytes.subarray(0, NONCE_BYTES), ad(key))
    return plain ? decodeIndexPayload(plain, this.#own) : undefined
  }
}

/** Associated data: the value is bound to its key, so one cannot be swapped for another. */
function ad(key: string): Uint8Array {
  return utf8(`${Domain.dbIndexRecord}\u0000${key}`)
}
