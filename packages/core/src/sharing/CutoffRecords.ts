import { fromHex, packValue, toHex, unpackValue } from '../codec/index.ts'
import type { KeyValueStore } from '../store/index.ts'
import { asChangeHash, type ChangeHash } from '../types.ts'

/**
 * The entries a former write partner signed that one of the issuer's databases held when the
 * partner's last write grant on it ended: the partner's signatures count on these only.
 */
export interface CutoffRecord {
  readonly partner: string
  readonly db: string
  /** The grant whose end recorded it. */
  readonly grantId: string
  readonly kept: ReadonlySet<ChangeHash>
}

/** Stored beside the chunks of a record: which grant recorded it and how many chunks it has. */
interface CutoffHead {
  readonly v: 1
  readonly partner: string
  readonly db: string
  readonly grantId: string
  readonly chunks: number
  readonly count: number
}

const HASH_BYTES = 32
/** Hashes per stored chunk (2 MiB), so a large set never becomes one huge value. */
const CHUNK_HASHES = 65_536
const MAX_HEAD_BYTES = 4_096

/**
 * Cut-off records of one tenant in their own key-value store (not the password-sealed tenant
 * record: the sets grow with the partner's history). Keys: `<partner>/<db>` holds the head,
 * `<partner>/<db>/<n>` the hashes as raw 32-byte runs. Chunks are written before the head, so a
 * head never names a chunk that was not written. A record is written before the end of the grant
 * is saved, while a live grant still vouches for the partner and the record is not in force, so
 * a write a crash interrupts changes nothing in force.
 */
export class CutoffRecords {
  readonly #kv: KeyValueStore
  readonly #prefix: string

  constructor(kv: KeyValueStore, prefix: string) {
    this.#kv = kv
    this.#prefix = prefix
  }

  async loadAll(): Promise<CutoffRecord[]> {
    const out: CutoffRecord[] = []
    for (const key of await this.#kv.keys(this.#prefix)) {
      if (key.slice(this.#prefix.length).split('/').length !== 2) continue
      const bytes = await this.#kv.get(key)
      const head = bytes && unpackValue<CutoffHead>(bytes, MAX_HEAD_BYTES)
      if (head?.v !== 1 || !Number.isSafeInteger(head.chunks) || head.chunks < 0) continue
      const kept = new Set<ChangeHash>()
      for (let i = 0; i < head.chunks; i++) {
        const chunk = await this.#kv.get(`${key}/${i}`)
        if (!chunk) continue
        for (let at = 0; at + HASH_BYTES <= chunk.length; at += HASH_BYTES)
          kept.add(asChangeHash(toHex(chunk.subarray(at, at + HASH_BYTES))))
      }
      out.push({ partner: head.partner, db: head.db, grantId: head.grantId, kept })
    }
    return out
  }

  async put(record: CutoffRecord): Promise<void> {
    const key = `${this.#prefix}${record.partner}/${record.db}`
    const hashes = [...record.kept]
    let chunks = 0
    for (let i = 0; i < hashes.length; i += CHUNK_HASHES, chunks++) {
      const part = hashes.slice(i, i + CHUNK_HASHES)
      const bytes = new Uint8Array(part.length * HASH_BYTES)
      part.forEach((h, j) => bytes.set(fromHex(h), j * HASH_BYTES))
      await this.#kv.put(`${key}/${chunks}`, bytes)
    }
    const head: CutoffHead = {
      v: 1,
      partner: record.partner,
      db: record.db,
      grantId: record.grantId,
      chunks,
      count: hashes.length,
    }
    await this.#kv.put(key, packValue(head))
  }
}
