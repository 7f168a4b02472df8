import { fromHex } from '../codec/index.ts'
import type { DomainName } from './domains.ts'
import { domainMessage, signDomainMessage, type DomainMessage, type SigningKeyPair } from './sign.ts'

/** PKCS #8 wrapping of an Ed25519 seed (RFC 8410): this prefix, then the 32-byte seed. */
const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420')

type SignKey = CryptoKey | 'unsupported'

/** Each key pair's WebCrypto key, imported once; gone with the key pair. */
const keys = new WeakMap<SigningKeyPair, Promise<SignKey>>()

/**
 * {@link signDetached} through WebCrypto where the platform has Ed25519, else libsodium. Ed25519
 * signatures are deterministic (RFC 8032), so both give the same bytes. Node runs WebCrypto jobs
 * on its thread pool with native SHA-512: signing many large messages at once (attachment chunks)
 * runs on every core, each several times faster than libsodium's WebAssembly on one. For a few
 * small messages the sync {@link signDetached} costs less.
 */
export function signDetachedAsync(
  domain: DomainName,
  message: Uint8Array,
  author: SigningKeyPair,
): Promise<Uint8Array> {
  return signDomainMessageAsync(domainMessage(domain, message), author)
}

/** {@link signDetachedAsync} over a domain message built by the caller (no copy of it here). */
export async function signDomainMessageAsync(message: DomainMessage, author: SigningKeyPair): Promise<Uint8Array> {
  const key = await signKeyFor(author)
  if (key !== 'unsupported') {
    try {
      return new Uint8Array(await globalThis.crypto.subtle.sign('Ed25519', key, message as BufferSource))
    } catch {
      // Fall through to libsodium.
    }
  }
  return signDomainMessage(message, author.privateKey)
}

function signKeyFor(author: SigningKeyPair): Promise<SignKey> {
  let key = keys.get(author)
  if (!key) {
    key = importSignKey(author)
    keys.set(author, key)
  }
  return key
}

async function importSignKey(author: SigningKeyPair): Promise<SignKey> {
  const subtle = globalThis.crypto?.subtle
  // libsodium's private key is the seed, then the public key.
  if (!subtle || author.privateKey.length !== 64) return 'unsupported'
  const pkcs8 = new Uint8Array(PKCS8_PREFIX.length + 32)
  pkcs8.set(PKCS8_PREFIX)
  pkcs8.set(author.privateKey.subarray(0, 32), PKCS8_PREFIX.length)
  try {
    return await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign'])
  } catch {
    return 'unsupported'
  } finally {
    pkcs8.fill(0)
  }
}
