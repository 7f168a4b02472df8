import { sodium } from './sodium.ts'

/** BLAKE2b-256 of `data`, optionally keyed. */
export function blake2b256(data: Uint8Array, key?: Uint8Array): Uint8Array {
  return sodium().crypto_generichash(32, data, key ?? null)
}

/** BLAKE2b with a chosen output length (16..64 bytes). */
export function blake2b(data: Uint8Array, outLen: number, key?: Uint8Array): Uint8Array {
  return sodium().crypto_generichash(outLen, data, key ?? null)
}

/** BLAKE2b of the concatenation of `parts`, hashed one after another (no joined copy). */
export function blake2bOfParts(parts: readonly Uint8Array[], outLen: number, key?: Uint8Array): Uint8Array {
  const s = sodium()
  const state = s.crypto_generichash_init(key ?? null, outLen)
  for (const part of parts) s.crypto_generichash_update(state, part)
  return s.crypto_generichash_final(state, outLen)
}

/** Constant-time equality of two byte strings of the same length. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium().memcmp(a, b)
}

/** SHA-256 of `data` (the hash Automerge names its changes by). */
export function sha256(data: Uint8Array): Uint8Array {
  return sodium().crypto_hash_sha256(data)
}
