import { ByteWriter, fromBase64Url, toBase64Url } from '../codec/index.ts'
import { Domain, signDetached, verifyDetached, type SigningKeyPair } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { Role } from './roles.ts'
import { isRole } from './roles.ts'

/**
 * An admin's answer to a {@link JoinRequest}: the user and role the device joined as, the
 * tenant's keys sealed to the device's box key, and the directory's entries as the admin held
 * them, signed by the approving device. Plain JSON.
 */
export interface JoinResponse {
  readonly v: 1
  readonly type: 'weft-join-response'
  readonly tenantId: string
  /** Matches the request's secret (hex BLAKE2b-256). */
  readonly joinId: string
  readonly userId: string
  readonly role: Role
  /** The tenant root: the Ed25519 key of the device that created the tenant, base64url. */
  readonly root: string
  /** Sealed key hand-offs, base64url. */
  readonly keys: readonly string[]
  /** The directory database's entries, base64url bytes. */
  readonly directory: readonly string[]
  /** The approving device's Ed25519 key, base64url. */
  readonly approver: string
  readonly signature: string
}

function responseBytes(r: Omit<JoinResponse, 'signature'>): Uint8Array {
  const w = new ByteWriter()
    .string(r.type)
    .string(r.tenantId)
    .string(r.joinId)
    .string(r.userId)
    .string(r.role)
    .string(r.root)
    .string(r.approver)
  w.varint(r.keys.length)
  for (const k of r.keys) w.string(k)
  w.varint(r.directory.length)
  for (const d of r.directory) w.string(d)
  return w.finish()
}

/** Signs a join response with the approving admin device's key. */
export function createJoinResponse(
  fields: Omit<JoinResponse, 'v' | 'type' | 'approver' | 'signature'>,
  approver: SigningKeyPair,
): JoinResponse {
  const body = {
    v: 1 as const,
    type: 'weft-join-response' as const,
    ...fields,
    approver: toBase64Url(approver.publicKey),
  }
  return {
    ...body,
    signature: toBase64Url(signDetached(Domain.joinResponse, responseBytes(body), approver.privateKey)),
  }
}

/**
 * Checks a join response's shape and signature, and that it answers `joinId` of `tenantId`.
 * `WEFT_BAD_JOIN_REQUEST` otherwise. Whether the approver is an admin is checked against the
 * directory the response carries.
 */
export function verifyJoinResponse(input: unknown, tenantId: string, joinId: string): JoinResponse {
  const r = input as JoinResponse
  let ok: boolean
  try {
    ok =
      r?.v === 1 &&
      r.type === 'weft-join-response' &&
      isRole(r.role) &&
      [r.tenantId, r.joinId, r.userId, r.root, r.approver, r.signature].every((s) => typeof s === 'string') &&
      Array.isArray(r.keys) &&
      r.keys.every((k) => typeof k === 'string') &&
      Array.isArray(r.directory) &&
      r.directory.every((k) => typeof k === 'string') &&
      verifyDetached(Domain.joinResponse, responseBytes(r), fromBase64Url(r.signature), fromBase64Url(r.approver))
  } catch {
    ok = false
  }
  if (!ok)
    throw new WeftError(ErrorCodes.BAD_JOIN_REQUEST, 'join response is malformed or its signature does not verify')
  if (r.tenantId !== tenantId || r.joinId !== joinId)
    throw new WeftError(ErrorCodes.BAD_JOIN_REQUEST, 'join response answers another request')
  return r
}
