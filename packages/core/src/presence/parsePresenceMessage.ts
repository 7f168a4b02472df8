import { unpackValue } from '../codec/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { PRESENCE_LIMITS } from './limits.ts'
import type { ParsedPresence, PresenceHeader } from './PresenceMessage.ts'

const bad = (why: string) => new WeftError(ErrorCodes.BAD_PRESENCE, `presence message: ${why}`)

const isBytes = (v: unknown, length?: number): v is Uint8Array =>
  v instanceof Uint8Array && (length === undefined || v.length === length)

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

/**
 * Parses untrusted presence bytes into their parts, checking every field's type and size (the
 * whole message before it is decoded): `WEFT_BAD_PRESENCE` when malformed or too large. Nothing
 * is verified or decrypted here; the exact signed bytes are kept for that.
 */
export function parsePresenceMessage(bytes: Uint8Array): ParsedPresence {
  if (!(bytes instanceof Uint8Array)) throw bad('not bytes')
  if (bytes.length > PRESENCE_LIMITS.maxMessageBytes)
    throw bad(`${bytes.length} bytes, over ${PRESENCE_LIMITS.maxMessageBytes}`)
  const outer = decode(bytes)
  if (!Array.isArray(outer) || outer.length !== 2) throw bad('not a [signed, signature] pair')
  const [signed, signature] = outer as unknown[]
  if (!isBytes(signed) || !isBytes(signature, 64)) throw bad('signed bytes and a 64-byte signature expected')
  const inner = decode(signed)
  if (!Array.isArray(inner) || inner.length !== 3) throw bad('not a [header, nonce, ciphertext] triple')
  const [headerBytes, nonce, ciphertext] = inner as unknown[]
  if (!isBytes(headerBytes) || !isBytes(nonce, 24) || !isBytes(ciphertext)) throw bad('header, nonce or ciphertext')
  const h = decode(headerBytes)
  if (!Array.isArray(h) || h.length !== 8) throw bad('a header has eight fields')
  const [v, tenant, scope, sender, seq, at, keyId, keyVersion] = h as unknown[]
  if (v !== 1) throw bad(`version ${String(v)} is not read by this build`)
  if (typeof tenant !== 'string' || tenant.length > 512) throw bad('tenant')
  if (typeof scope !== 'string' || scope.length > 512) throw bad('scope')
  if (!isBytes(sender, 32)) throw bad('sender is a 32-byte key')
  if (!isCount(seq) || !isCount(at)) throw bad('seq and at are whole numbers')
  if (typeof keyId !== 'string' || keyId.length > 256 || !isCount(keyVersion)) throw bad('key id and version')
  const header: PresenceHeader = { v: 1, tenant, scope, sender, seq, at, keyId, keyVersion }
  return { header, headerBytes, signed, nonce, ciphertext, signature }
}

function decode(bytes: Uint8Array): unknown {
  try {
    return unpackValue(bytes, PRESENCE_LIMITS.maxMessageBytes)
  } catch {
    throw bad('not valid MessagePack')
  }
}
