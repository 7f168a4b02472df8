import { ByteWriter, fromBase64Url, toBase64Url, toHex, utf8 } from '../codec/index.ts'
import { blake2b256, Domain, randomBytes, signDetached, verifyDetached } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { Identity } from '../tenant/index.ts'

/**
 * What a new device hands an admin to ask to join a tenant: its public keys and a fresh one-time
 * secret, signed by the device's own key. Plain JSON; {@link joinRequestToString} gives the short
 * `weft://join/...` text (for a QR code or to paste).
 */
export interface JoinRequest {
  readonly v: 1
  readonly type: 'weft-join-request'
  readonly tenantId: string
  readonly userName: string
  /** The device's Ed25519 public key, base64url: its device id. */
  readonly signingKey: string
  /** The device's X25519 public key, base64url: the tenant's keys are sealed to it. */
  readonly boxKey: string
  /** 32 random bytes, base64url, made for this request only. */
  readonly secret: string
  /** The device's signature over the fields above, base64url. */
  readonly signature: string
}

/** A join request whose signature verified, with its keys decoded. */
export interface VerifiedJoinRequest {
  readonly request: JoinRequest
  readonly signingKey: Uint8Array
  readonly boxKey: Uint8Array
  /** Hex BLAKE2b-256 of the secret: the directory remembers it, so a request is approved once. */
  readonly joinId: string
}

const PREFIX = 'weft://join/'
const MAX_CHARS = 4096

function requestBytes(r: Omit<JoinRequest, 'signature'>): Uint8Array {
  return new ByteWriter()
    .string(r.type)
    .string(r.tenantId)
    .string(r.userName)
    .string(r.signingKey)
    .string(r.boxKey)
    .string(r.secret)
    .finish()
}

/** Makes a signed join request for a device identity. */
export function createJoinRequest(tenantId: string, userName: string, device: Identity): JoinRequest {
  const fields = {
    v: 1 as const,
    type: 'weft-join-request' as const,
    tenantId,
    userName,
    signingKey: toBase64Url(device.signing.publicKey),
    boxKey: toBase64Url(device.box.publicKey),
    secret: toBase64Url(randomBytes(32)),
  }
  return {
    ...fields,
    signature: toBase64Url(signDetached(Domain.joinRequest, requestBytes(fields), device.signing.privateKey)),
  }
}

/** The `weft://join/...` form of a request. */
export function joinRequestToString(request: JoinRequest): string {
  return PREFIX + toBase64Url(utf8(JSON.stringify(request)))
}

/**
 * Parses a join request (object or `weft://join/...` text) and checks its signature.
 * `WEFT_BAD_JOIN_REQUEST` when it is malformed or was changed after the device signed it.
 */
export function parseJoinRequest(input: unknown): VerifiedJoinRequest {
  try {
    let value = input
    if (typeof input === 'string') {
      if (!input.startsWith(PREFIX) || input.length > MAX_CHARS) throw new Error('not a join string')
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(input.slice(PREFIX.length))))
    }
    const r = value as JoinRequest
    if (r?.v !== 1 || r.type !== 'weft-join-request') throw new Error('shape')
    for (const f of ['tenantId', 'userName', 'signingKey', 'boxKey', 'secret', 'signature'] as const) {
      if (typeof r[f] !== 'string' || r[f].length > 1024) throw new Error(`field ${f}`)
    }
    const signingKey = fromBase64Url(r.signingKey)
    const boxKey = fromBase64Url(r.boxKey)
    const secret = fromBase64Url(r.secret)
    if (signingKey.length !== 32 || boxKey.length !== 32 || secret.length !== 32) throw new Error('key length')
    if (!verifyDetached(Domain.joinRequest, requestBytes(r), fromBase64Url(r.signature), signingKey))
      throw new Error('signature')
    const request: JoinRequest = {
      v: 1,
      type: r.type,
      tenantId: r.tenantId,
      userName: r.userName,
      signingKey: r.signingKey,
      boxKey: r.boxKey,
      secret: r.secret,
      signature: r.signature,
    }
    return { request, signingKey, boxKey, joinId: toHex(blake2b256(secret)) }
  } catch (cause) {
    throw new WeftError(ErrorCodes.BAD_JOIN_REQUEST, 'join request is malformed or its signature does not verify', {
      cause,
    })
  }
}
