import { ErrorCodes, packValue, unpackValue, WeftError } from '@weft/core/backend'
import { MAIL_LIMITS } from '@weft/protocol'

/** A mailbox message carrying keys an issuer sealed to its partner under a grant. */
export interface KeyMail {
  readonly v: 1
  readonly kind: 'grant-keys'
  readonly grantId: string
  /** Each already sealed to the partner's box key and signed by the issuer. */
  readonly sealed: readonly Uint8Array[]
}

/** The mailbox topic of a grant's key mail: the newest message of it holds every key of the grant. */
export function keyMailTopic(grantId: string): string {
  return `keys:${grantId}`
}

/** Encodes sealed keys for the relay space's mailbox. */
export function encodeKeyMail(grantId: string, sealed: readonly Uint8Array[]): Uint8Array {
  const body = packValue({ v: 1, kind: 'grant-keys', grantId, sealed: [...sealed] } satisfies KeyMail)
  if (body.length > MAIL_LIMITS.maxMessageBytes)
    throw new WeftError(ErrorCodes.PAYLOAD_TOO_LARGE, 'sealed keys are over the mailbox message limit')
  return body
}

/** Decodes a mailbox message; undefined for anything that is not sealed keys for `grantId`. */
export function decodeKeyMail(body: Uint8Array, grantId: string): KeyMail | undefined {
  try {
    const m = unpackValue<KeyMail>(body, MAIL_LIMITS.maxMessageBytes)
    if (m?.v !== 1 || m.kind !== 'grant-keys' || m.grantId !== grantId) return undefined
    if (!Array.isArray(m.sealed) || !m.sealed.every((s) => s instanceof Uint8Array)) return undefined
    return m
  } catch {
    return undefined
  }
}
