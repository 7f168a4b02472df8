import { decryptCommitmentChecked, decryptCommitted, keyCommits } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { KeyBag } from '../keys/index.ts'
import type { KeyId } from '../types.ts'
import { passingAssociatedData } from './createEntry.ts'
import type { ParsedEntry } from './ParsedEntry.ts'

/**
 * Finds the key an entry was encrypted with: the version it names first, then any other held key
 * whose commitment matches (key names are local labels: a partner's `default` is not ours, and a
 * key imported under another name still opens its entries). `undefined` when none commits.
 */
export function findEntryKey(entry: ParsedEntry, keys: KeyBag): HeldKey | undefined {
  const { keyId, keyVersion, nonce } = entry.header
  const named = keys.get(keyId, keyVersion)
  let found: HeldKey | undefined
  if (named && keyCommits(entry.ciphertext, named, nonce)) found = { keyId, version: keyVersion, key: named }
  else
    for (const k of keys.allKeys())
      if (k.key !== named && keyCommits(entry.ciphertext, k.key, nonce)) {
        found = k
        break
      }
  if (found) committedKey.set(entry, found.key)
  return found
}

/**
 * The key whose commitment {@link findEntryKey} checked for an entry (a parsed entry's bytes never
 * change), so decrypting it with that same key need not check the commitment again.
 */
const committedKey = new WeakMap<ParsedEntry, Uint8Array>()

/** A key version found in the bag: the local name it is held under, its version, its bytes. */
export interface HeldKey {
  readonly keyId: KeyId
  readonly version: number
  readonly key: Uint8Array
}

/**
 * Decrypts an entry's payload. `WEFT_KEY_NOT_FOUND` when no held key is the one it was written
 * with (the entry is locked, not corrupt); `WEFT_DECRYPT_FAILED` when the right key is held but the
 * ciphertext does not open (only possible if it was altered, which its signature also rules out).
 */
export function decryptEntry(entry: ParsedEntry, keys: KeyBag): Uint8Array {
  const key = findEntryKey(entry, keys)
  const { keyId, keyVersion } = entry.header
  if (!key)
    throw new WeftError(ErrorCodes.KEY_NOT_FOUND, `no held key opens entry ${entry.hash} (${keyId} v${keyVersion})`)
  return decryptEntryWithKey(entry, key.key)
}

/** Decrypts with a key already found by {@link findEntryKey}. */
export function decryptEntryWithKey(entry: ParsedEntry, key: Uint8Array): Uint8Array {
  const open = committedKey.get(entry) === key ? decryptCommitmentChecked : decryptCommitted
  const plaintext = open(entry.ciphertext, key, entry.header.nonce, passingAssociatedData(entry.headerBytes))
  if (plaintext === null) throw new WeftError(ErrorCodes.DECRYPT_FAILED, `entry ${entry.hash} does not decrypt`)
  return plaintext
}
