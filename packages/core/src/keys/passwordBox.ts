import { ByteWriter, packValue, unpackValue } from '../codec/index.ts'
import {
  decryptCommitted,
  deriveKeyFromPassword,
  encryptCommitted,
  generateNonce,
  randomBytes,
  SALT_BYTES,
  validKdfParams,
} from '../crypto/index.ts'
import type { DomainName, KdfParams } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'

/** A key derived from a password, kept in memory so a record can be re-saved without Argon2id again. */
export interface PasswordKey {
  readonly key: Uint8Array
  readonly salt: Uint8Array
  readonly kdf: KdfParams
}

interface BoxFields {
  readonly f: 'weft-password-box'
  readonly v: 1
  readonly kdf: KdfParams
  readonly salt: Uint8Array
  readonly nonce: Uint8Array
  readonly ct: Uint8Array
}

const MAX_BOX_BYTES = 16 * 1024 * 1024

function associatedData(domain: DomainName, salt: Uint8Array, kdf: KdfParams): Uint8Array {
  return new ByteWriter().string(domain).bytes(salt).varint(kdf.opsLimit).varint(kdf.memLimit).finish()
}

/** Runs Argon2id with a fresh salt. */
export function newPasswordKey(password: string, kdf: KdfParams): PasswordKey {
  const salt = randomBytes(SALT_BYTES)
  return { key: deriveKeyFromPassword(password, salt, kdf), salt, kdf }
}

/** Encrypts `plaintext` under a password-derived key; the KDF salt and cost travel in the box. */
export function sealWithPasswordKey(domain: DomainName, plaintext: Uint8Array, pk: PasswordKey): Uint8Array {
  const nonce = generateNonce()
  const ct = encryptCommitted(plaintext, pk.key, nonce, associatedData(domain, pk.salt, pk.kdf))
  const fields: BoxFields = { f: 'weft-password-box', v: 1, kdf: pk.kdf, salt: pk.salt, nonce, ct }
  return packValue(fields)
}

/**
 * Opens a password box. A wrong password (or any change to the box) fails with
 * `WEFT_WRONG_PASSWORD`; bytes that are not a box fail with `WEFT_MALFORMED_BLOB`.
 */
export function openWithPassword(
  domain: DomainName,
  box: Uint8Array,
  password: string,
): { plaintext: Uint8Array; passwordKey: PasswordKey } {
  const fields = parseBox(box)
  const key = deriveKeyFromPassword(password, fields.salt, fields.kdf)
  const plaintext = decryptCommitted(fields.ct, key, fields.nonce, associatedData(domain, fields.salt, fields.kdf))
  if (plaintext === null) throw new WeftError(ErrorCodes.WRONG_PASSWORD, 'wrong password (or the blob was altered)')
  return { plaintext, passwordKey: { key, salt: fields.salt, kdf: fields.kdf } }
}

function parseBox(box: Uint8Array): BoxFields {
  let fields: BoxFields
  try {
    fields = unpackValue<BoxFields>(box, MAX_BOX_BYTES)
  } catch (cause) {
    throw new WeftError(ErrorCodes.MALFORMED_BLOB, 'not a Weft password box', { cause })
  }
  if (
    typeof fields !== 'object' ||
    fields === null ||
    fields.f !== 'weft-password-box' ||
    fields.v !== 1 ||
    !validKdfParams(fields.kdf) ||
    !(fields.salt instanceof Uint8Array) ||
    fields.salt.length !== 16 ||
    !(fields.nonce instanceof Uint8Array) ||
    fields.nonce.length !== 24 ||
    !(fields.ct instanceof Uint8Array)
  ) {
    throw new WeftError(ErrorCodes.MALFORMED_BLOB, 'not a Weft password box')
  }
  return fields
}
