import { unpackValue } from '../codec/index.ts'
import { decryptCommitted, Domain, domainMessage, verifyDetached } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { KeyBag } from '../keys/index.ts'
import { PRESENCE_LIMITS } from './limits.ts'
import type { ParsedPresence, PresenceBody } from './PresenceMessage.ts'

/**
 * Verifies a parsed presence message's signature over the exact bytes received and decrypts its
 * body with the key its header names: `WEFT_BAD_SIGNATURE`, `WEFT_KEY_NOT_FOUND`,
 * `WEFT_DECRYPT_FAILED` or `WEFT_BAD_PRESENCE`. Whether the sender may be present, and whether
 * the message is fresh, is for the caller.
 */
export function openPresenceMessage(parsed: ParsedPresence, keyBag: KeyBag): PresenceBody {
  const { header } = parsed
  if (!verifyDetached(Domain.presenceSignature, parsed.signed, parsed.signature, header.sender))
    throw new WeftError(ErrorCodes.BAD_SIGNATURE, 'presence message signature does not verify')
  const key = keyBag.get(header.keyId, header.keyVersion)
  if (!key) throw new WeftError(ErrorCodes.KEY_NOT_FOUND, `no key ${header.keyId} version ${header.keyVersion}`)
  const ad = domainMessage(Domain.presenceAssociatedData, parsed.headerBytes)
  const plain = decryptCommitted(parsed.ciphertext, key, parsed.nonce, ad)
  if (!plain) throw new WeftError(ErrorCodes.DECRYPT_FAILED, 'presence message does not decrypt')
  let body: unknown
  try {
    body = unpackValue(plain, PRESENCE_LIMITS.maxStateBytes)
  } catch {
    throw new WeftError(ErrorCodes.BAD_PRESENCE, 'presence body is not valid MessagePack')
  }
  const b = body as { k?: unknown; s?: unknown; a?: unknown } | null
  if (b === null || typeof b !== 'object') throw new WeftError(ErrorCodes.BAD_PRESENCE, 'presence body')
  if (b.k === 'state') return { kind: 'state', state: b.s ?? null, ask: b.a === true }
  if (b.k === 'hello' || b.k === 'leave') return { kind: b.k }
  throw new WeftError(ErrorCodes.BAD_PRESENCE, 'unknown presence body')
}
