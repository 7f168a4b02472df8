import { concatBytes, packValue, toHex, unpackValue, utf8 } from '../../codec/index.ts'
import { blake2b, decryptCommitted, Domain, encryptCommitted, NONCE_BYTES, randomBytes } from '../../crypto/index.ts'
import type { DocId } from '../../types.ts'
import type { IndexStorage } from '../DocIndex.ts'
import { MAX_INDEX_BYTES } from '../docIndexRecord.ts'
import { isScalar } from './compareValues.ts'
import type { IndexStateRow } from './SortedIndex.ts'
import type { Scalar } from './types.ts'

/** A stored index: the definition it was built under and every document's row. */
export interface StoredIndexState {
  readonly definition: string
  readonly rows: readonly IndexStateRow[]
}

const DOC_ID = /^[0-9a-f]{32}$/
const VERSION = /^[0-9a-f]*$/
/** Key parts of one row at most (a longer key is not one this database wrote). */
const MAX_KEY_PARTS = 64

/**
 * The states of a database's query indexes, in the same local record store as its persisted
 * document index, each one value encrypted under the same local key (XChaCha20-Poly1305,
 * key-committing) and bound to its record key. Never in the change store, so never synced. A
 * cache: a value that is missing, does not decrypt or does not parse reads as none, and the index
 * is then built from the documents.
 */
export class IndexStateStore {
  readonly #storage: IndexStorage

  constructor(storage: IndexStorage) {
    this.#storage = storage
  }

  /** The record key of index `name` (its name hashed: names are the app's, keys stay short). */
  keyOf(name: string): string {
    return `${this.#storage.prefix}q/${toHex(blake2b(utf8(name), 16))}`
  }

  async save(name: string, state: StoredIndexState): Promise<void> {
    const key = this.keyOf(name)
    const nonce = randomBytes(NONCE_BYTES)
    const plain = packValue({ v: 1, name, definition: state.definition, rows: state.rows })
    await this.#storage.kv.put(key, concatBytes(nonce, encryptCommitted(plain, this.#storage.key, nonce, ad(key))))
  }

  /** The stored state of index `name` if it reads and was built under `definition`, else undefined. */
  async load(name: string, definition: string): Promise<StoredIndexState | undefined> {
    const key = this.keyOf(name)
    try {
      const bytes = await this.#storage.kv.get(key)
      if (!bytes || bytes.length < NONCE_BYTES) return undefined
      const plain = decryptCommitted(
        bytes.subarray(NONCE_BYTES),
        this.#storage.key,
        bytes.subarray(0, NONCE_BYTES),
        ad(key),
      )
      if (!plain) return undefined
      const state = parseState(unpackValue(plain, MAX_INDEX_BYTES), name)
      return state?.definition === definition ? state : undefined
    } catch {
      return undefined
    }
  }

  async delete(name: string): Promise<void> {
    await this.#storage.kv.delete(this.keyOf(name))
  }
}

/** A decrypted value as a state, checked row by row; undefined when any part is not what was written. */
function parseState(v: unknown, name: string): StoredIndexState | undefined {
  const o = v as Record<string, unknown> | null
  if (o?.v !== 1 || o.name !== name || typeof o.definition !== 'string' || !Array.isArray(o.rows)) return undefined
  const rows: IndexStateRow[] = []
  for (const r of o.rows as unknown[]) {
    if (!Array.isArray(r) || r.length !== 3) return undefined
    const [id, version, key] = r as unknown[]
    if (typeof id !== 'string' || !DOC_ID.test(id) || typeof version !== 'string' || !VERSION.test(version))
      return undefined
    if (key !== null && !(Array.isArray(key) && key.length > 0 && key.length <= MAX_KEY_PARTS && key.every(isScalar)))
      return undefined
    rows.push([id as DocId, version, key as Scalar[] | null])
  }
  return { definition: o.definition, rows }
}

/** Associated data: the value is bound to its record key, so one index's state cannot stand in for another's. */
function ad(key: string): Uint8Array {
  return utf8(`${Domain.dbQueryIndexRecord}\u0000${key}`)
}
