import { sodium } from './sodium.ts'

/** Argon2id cost parameters, stored beside whatever they protect so it can be reopened. */
export interface KdfParams {
  readonly opsLimit: number
  readonly memLimit: number
}

/** libsodium's "interactive" Argon2id cost: 2 passes over 64 MiB. */
export const DEFAULT_KDF: KdfParams = { opsLimit: 2, memLimit: 64 * 1024 * 1024 }
/** The cheapest parameters libsodium accepts; for tests only. */
export const TEST_KDF: KdfParams = { opsLimit: 1, memLimit: 8192 }

export const SALT_BYTES = 16

/** Derives a 32-byte key from a password with Argon2id. */
export function deriveKeyFromPassword(password: string, salt: Uint8Array, params: KdfParams): Uint8Array {
  const s = sodium()
  return s.crypto_pwhash(32, password, salt, params.opsLimit, params.memLimit, s.crypto_pwhash_ALG_ARGON2ID13)
}

/** Checks stored parameters before spending memory on them. */
export function validKdfParams(p: unknown): p is KdfParams {
  const q = p as KdfParams
  return (
    typeof q === 'object' &&
    q !== null &&
    Number.isInteger(q.opsLimit) &&
    q.opsLimit >= 1 &&
    q.opsLimit <= 16 &&
    Number.isInteger(q.memLimit) &&
    q.memLimit >= 8192 &&
    q.memLimit <= 1024 * 1024 * 1024
  )
}
