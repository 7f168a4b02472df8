/**
 * The Ed25519 page: checks every edge-case vector of packages/core/test/fixtures/ed25519Vectors.ts
 * with the browser's own WebCrypto, through Weft's verifiers and without them, and reports the
 * verdicts to the Node side (test/browser/ed25519.test.ts).
 */
import { fromHex } from '../../../packages/core/src/codec/index.ts'
import { ready, verifyEd25519, verifyEd25519Async } from '../../../packages/core/src/crypto/index.ts'
import { ED25519_VECTORS } from '../../../packages/core/test/fixtures/ed25519Vectors.ts'

/** One vector's verdicts in the page. */
export interface Ed25519PageVerdict {
  readonly name: string
  readonly valid: boolean
  /** libsodium (WebAssembly) under Weft's rule. */
  readonly sync: boolean
  /** WebCrypto under Weft's rule (libsodium if the browser lacks Ed25519). */
  readonly async: boolean
  /** The browser's WebCrypto alone, without the rule: `'unsupported'` if it lacks Ed25519. */
  readonly webCryptoAlone: boolean | 'unsupported'
}

async function webCryptoAlone(
  message: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): Promise<boolean | 'unsupported'> {
  let key: CryptoKey
  try {
    key = await crypto.subtle.importKey('raw', publicKey as BufferSource, { name: 'Ed25519' }, false, ['verify'])
  } catch (err) {
    // A key the browser refuses to import is a refusal; a missing algorithm is not.
    return (err as DOMException)?.name === 'NotSupportedError' ? 'unsupported' : false
  }
  try {
    return await crypto.subtle.verify('Ed25519', key, signature as BufferSource, message as BufferSource)
  } catch {
    return false
  }
}

async function run(): Promise<Ed25519PageVerdict[]> {
  await ready()
  const out: Ed25519PageVerdict[] = []
  for (const v of ED25519_VECTORS) {
    const [message, signature, publicKey] = [fromHex(v.message), fromHex(v.signature), fromHex(v.publicKey)]
    out.push({
      name: v.name,
      valid: v.valid,
      sync: verifyEd25519(message, signature, publicKey),
      async: await verifyEd25519Async(message, signature, publicKey),
      webCryptoAlone: await webCryptoAlone(message, signature, publicKey),
    })
  }
  return out
}

declare global {
  var weftEd25519Page: { run(): Promise<Ed25519PageVerdict[]> } | undefined
}

globalThis.weftEd25519Page = { run }
