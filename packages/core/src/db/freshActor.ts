import { toHex } from '../codec/index.ts'
import { randomBytes } from '../crypto/index.ts'

/**
 * A new Automerge actor id, for a document this process loads or creates: 16 random bytes, as
 * Automerge draws when given none. Automerge draws its own with one `crypto.getRandomValues` call
 * per document, about 20 µs in Node: a tenth of loading a small document, 3% of a sync of many.
 * These come from the pooled CSPRNG ({@link randomBytes}), so no two documents share an actor.
 */
export function freshActor(): string {
  return toHex(randomBytes(16))
}
