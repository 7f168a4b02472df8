import { concatBytes, utf8 } from '../codec/index.ts'
import type { DomainName } from './domains.ts'
import { passesEd25519Rule } from './ed25519Rule.ts'
import { sodium } from './sodium.ts'

/** An Ed25519 key pair. */
export interface SigningKeyPair {
  readonly publicKey: Uint8Array
  readonly privateKey: Uint8Array
}

export function generateSigningKeyPair(): SigningKeyPair {
  const kp = sodium().crypto_sign_keypair()
  return { publicKey: kp.publicKey, privateKey: kp.privateKey }
}

/** `domain || 0x00 || message` in one buffer: the bytes every Weft signature covers. */
export type DomainMessage = Uint8Array & { readonly __domainMessage: true }

/** Each domain's prefix, `domain || 0x00`, encoded once. */
const prefixes = new Map<DomainName, Uint8Array>()

function prefixOf(domain: DomainName): Uint8Array {
  let prefix = prefixes.get(domain)
  if (!prefix) prefixes.set(domain, (prefix = concatBytes(utf8(domain), new Uint8Array([0]))))
  return prefix
}

/** `domain || 0x00 || message`, as a new buffer. */
export function domainMessage(domain: DomainName, message: Uint8Array): DomainMessage {
  return concatBytes(prefixOf(domain), message) as DomainMessage
}

/**
 * Writes `domain || 0x00` at the start of `into` and returns its length: the message goes after
 * it, so a large message can be built in place and signed without a copy ({@link asDomainMessage}).
 */
export function writeDomainPrefix(domain: DomainName, into: Uint8Array): number {
  const prefix = prefixOf(domain)
  into.set(prefix)
  return prefix.length
}

/** The length of `domain || 0x00`. */
export function domainPrefixLength(domain: DomainName): number {
  return prefixOf(domain).length
}

/**
 * `bytes` itself, as the domain message it already is: it must start with `domain || 0x00`
 * (checked; a `RangeError` otherwise), so nothing is signed without its domain.
 */
export function asDomainMessage(domain: DomainName, bytes: Uint8Array): DomainMessage {
  const prefix = prefixOf(domain)
  if (bytes.length < prefix.length) throw new RangeError(`not a ${domain} message`)
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) throw new RangeError(`not a ${domain} message`)
  return bytes as DomainMessage
}

/** Ed25519 detached signature over `domain || 0x00 || message`. */
export function signDetached(domain: DomainName, message: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return signDomainMessage(domainMessage(domain, message), privateKey)
}

/** Ed25519 detached signature over a domain message built by the caller. */
export function signDomainMessage(message: DomainMessage, privateKey: Uint8Array): Uint8Array {
  return sodium().crypto_sign_detached(message, privateKey)
}

/** Verifies a signature made by {@link signDetached}; never throws on bad input, returns false. */
export function verifyDetached(
  domain: DomainName,
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  return verifyEd25519(domainMessage(domain, message), signature, publicKey)
}

/**
 * Plain Ed25519 verification by libsodium, under Weft's one rule ({@link passesEd25519Rule}), so
 * it accepts exactly what {@link verifyEd25519Async} accepts. Never throws; returns false.
 */
export function verifyEd25519(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (!passesEd25519Rule(signature, publicKey)) return false
  try {
    return sodium().crypto_sign_verify_detached(signature, message, publicKey)
  } catch {
    return false
  }
}
