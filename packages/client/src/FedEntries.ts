import type { ChangeHash } from '@weft/core/backend'
import type { WireEntry } from '@weft/protocol'

/** Most bytes of fed entries held for their subscribers at once; past it the oldest are dropped (read again from the server). */
const MAX_FED_BYTES = 8 * 1024 * 1024

/**
 * Entries a live feed brought, held until a subscriber reads them so that materialising them
 * costs no request. Bounded in bytes: the oldest go first. Unverified: whoever takes them verifies
 * them like any bytes the server sends.
 */
export class FedEntries {
  readonly #held = new Map<string, Uint8Array>()
  #bytes = 0

  /** Holds `entries`; returns their hashes. */
  add(entries: readonly WireEntry[]): ChangeHash[] {
    const hashes: ChangeHash[] = []
    for (const e of entries) {
      hashes.push(e.hash as ChangeHash)
      if (this.#held.has(e.hash) || e.bytes.length > MAX_FED_BYTES) continue
      this.#held.set(e.hash, e.bytes)
      this.#bytes += e.bytes.length
    }
    for (const [h, b] of this.#held) {
      if (this.#bytes <= MAX_FED_BYTES) break
      this.#held.delete(h)
      this.#bytes -= b.length
    }
    return hashes
  }

  /** The held bytes of those of `hashes` that are held, no longer held here. */
  take(hashes: readonly ChangeHash[]): Map<ChangeHash, Uint8Array> {
    const out = new Map<ChangeHash, Uint8Array>()
    if (this.#held.size === 0) return out
    for (const h of hashes) {
      const b = this.#held.get(h)
      if (!b) continue
      out.set(h, b)
      this.#held.delete(h)
      this.#bytes -= b.length
    }
    return out
  }

  clear(): void {
    this.#held.clear()
    this.#bytes = 0
  }
}
