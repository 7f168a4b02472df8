import { packValue, toBase64Url, toHex, unpackValue, fromBase64Url } from '../codec/index.ts'
import { blake2b256, Domain, signDetached, verifyDetached, type SigningKeyPair } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { ChangeHash } from '../types.ts'
import type { Role } from './roles.ts'

/** A device's public keys as the directory lists them. */
export interface DeviceKeys {
  /** Ed25519 public key: the device signs entries and directory records with it. */
  readonly key: Uint8Array
  /** X25519 public key: keys are sealed to it. */
  readonly box: Uint8Array
}

/** Entry hashes by device (base64url signing key); see {@link DirectoryOp}. */
export type HashesByDevice = ReadonlyArray<readonly [string, readonly ChangeHash[]]>

/**
 * One change to a tenant's directory. `hashes` fix which of a device's entries stay trusted when
 * its write rights end (removal, demotion to reader: the entries the admin held then, and only
 * those), or which stay untrusted when they start again (promotion: what it wrote as a reader).
 */
export type DirectoryOp =
  | { readonly op: 'genesis'; readonly userId: string; readonly name: string; readonly device: DeviceKeys }
  | {
      readonly op: 'add-device'
      readonly userId: string
      readonly name: string
      readonly role: Role
      readonly device: DeviceKeys
      readonly joinId: string
    }
  | { readonly op: 'set-role'; readonly userId: string; readonly role: Role; readonly hashes: HashesByDevice }
  | { readonly op: 'remove-device'; readonly device: string; readonly hashes: HashesByDevice }
  | { readonly op: 'remove-user'; readonly userId: string; readonly hashes: HashesByDevice }
  | { readonly op: 'keys'; readonly sealed: ReadonlyArray<readonly [string, readonly Uint8Array[]]> }

/** The signed part of a directory record. */
export type RecordBody = DirectoryOp & {
  readonly v: 1
  readonly tenant: string
  /** One more than the highest lamport of the records its signer knew: orders the directory. */
  readonly lamport: number
  /** The signing device's Ed25519 public key. */
  readonly signer: Uint8Array
  readonly nonce: Uint8Array
}

/** A record whose signature verified, with its id (hex BLAKE2b-256 of its bytes). */
export type VerifiedRecord = RecordBody & { readonly id: string; readonly signerId: string }

/** The stored form: the packed body and the signer's signature, base64url, `body.sig`. */
export type SignedRecord = string

const MAX_RECORD_CHARS = 4 * 1024 * 1024

/** Signs a directory change with a device key. */
export function createMemberRecord(
  op: DirectoryOp,
  fields: { tenant: string; lamport: number; nonce: Uint8Array },
  signer: SigningKeyPair,
): SignedRecord {
  const body = packValue({
    ...op,
    v: 1,
    tenant: fields.tenant,
    lamport: fields.lamport,
    nonce: fields.nonce,
    signer: signer.publicKey,
  })
  const sig = signDetached(Domain.memberRecord, body, signer.privateKey)
  return `${toBase64Url(body)}.${toBase64Url(sig)}`
}

/**
 * Parses a stored record and checks its signature against the key it names, and that it belongs
 * to `tenant`. Whether that key may change the directory is decided by the directory itself.
 * `WEFT_MEMBER_RECORD_REFUSED` when anything is wrong.
 */
export function verifyMemberRecord(signed: unknown, tenant: string): VerifiedRecord {
  try {
    if (typeof signed !== 'string' || signed.length > MAX_RECORD_CHARS) throw new Error('shape')
    const [b, s, extra] = signed.split('.')
    if (!b || !s || extra !== undefined) throw new Error('shape')
    const body = fromBase64Url(b)
    const rec = unpackValue<RecordBody>(body, body.length)
    if (
      rec?.v !== 1 ||
      rec.tenant !== tenant ||
      !(rec.signer instanceof Uint8Array) ||
      !Number.isSafeInteger(rec.lamport) ||
      rec.lamport < 0
    ) {
      throw new Error('fields')
    }
    if (!verifyDetached(Domain.memberRecord, body, fromBase64Url(s), rec.signer)) throw new Error('signature')
    return { ...rec, id: toHex(blake2b256(body)), signerId: toBase64Url(rec.signer) }
  } catch (cause) {
    throw new WeftError(
      ErrorCodes.MEMBER_RECORD_REFUSED,
      'directory record is malformed or its signature does not verify',
      { cause },
    )
  }
}
