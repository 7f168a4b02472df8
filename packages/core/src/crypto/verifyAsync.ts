import { toHex } from '../codec/index.ts'
import type { DomainName } from './domains.ts'
import { passesEd25519Rule } from './ed25519Rule.ts'
import { domainMessage, verifyEd25519 } from './sign.ts'

/**
 * Ed25519 verification through WebCrypto where the platform has it. Node runs WebCrypto jobs on
 * its thread pool, so a batch verified with `Promise.all` uses every core (measured here: about
 * 2.2x libsodium's single-thread rate on 2 cores); browsers run it natively. Falls back to
 * libsodium when WebCrypto lacks Ed25519.
 */
export async function verifyDetachedAsync(
  domain: DomainName,
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): Promise<boolean> {
  return verifyEd25519Async(domainMessage(domain, message), signature, publicKey)
}

/**
 * Plain Ed25519 verification through WebCrypto, under Weft's one rule ({@link passesEd25519Rule}),
 * checked before WebCrypto runs: WebCrypto alone accepts signatures libsodium refuses (a
 * small-order `R`), so without the rule the two paths would disagree. Never throws; returns false.
 */
export async function verifyEd25519Async(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): Promise<boolean> {
  if (!passesEd25519Rule(signature, publicKey)) return false
  const key = await verifyKeyFor(publicKey)
  if (key === 'unsupported') return verifyEd25519(message, signature, publicKey)
  try {
    return await globalThis.crypto.subtle.verify('Ed25519', key, signature as BufferSource, message as BufferSource)
  } catch {
    return verifyEd25519(message, signature, publicKey)
  }
}

type VerifyKey = CryptoKey | 'unsupported'

const MAX_CACHED_KEYS = 4096
const keys = new Map<string, Promise<VerifyKey>>()

/** Imports (once per author) a public key that already passed the rule. */
function verifyKeyFor(publicKey: Uint8Array): Promise<VerifyKey> {
  const id = toHex(publicKey)
  let key = keys.get(id)
  if (!key) {
    if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value!)
    key = importKey(publicKey)
    keys.set(id, key)
  }
  return key
}

async function importKey(publicKey: Uint8Array): Promise<VerifyKey> {
  const subtle = globalThis.crypto?.subtle
  if (!subtle) return 'unsupported'
  try {
    return await subtle.importKey('raw', new Uint8Array(publicKey), { name: 'Ed25519' }, false, ['verify'])
  } catch {
    return 'unsupported'
  }
}
