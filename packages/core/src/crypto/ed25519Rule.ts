import { fromHex, toHex } from '../codec/index.ts'
import { sodium } from './sodium.ts'

/**
 * The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian, as Ed25519
 * encodes scalars.
 */
const L = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
])

/**
 * Encodings of the points of small order (1, 2, 4 or 8), sign bit cleared: the identity (y = 1),
 * the point of order 2 (y = p - 1), the two of order 4 (y = 0), the four of order 8 (two y values),
 * and the non-canonical aliases y = p (of 0) and y = p + 1 (of 1). The same list libsodium keeps
 * in `ge25519_has_small_order`.
 */
const SMALL_ORDER_BYTES: readonly Uint8Array[] = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
].map(fromHex)

/** True when the little-endian 32-byte scalar is below L. */
function isCanonicalScalar(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! < L[i]!) return true
    if (s[i]! > L[i]!) return false
  }
  return false // equal to L
}

/** True when the point encoding's y (sign bit cleared) is below p = 2^255 - 19. */
function isCanonicalPoint(p: Uint8Array): boolean {
  if ((p[31]! & 0x7f) !== 0x7f) return true
  for (let i = 30; i >= 1; i--) if (p[i] !== 0xff) return true
  return p[0]! < 0xed
}

/**
 * True when the point encoding, sign bit ignored, is one of {@link SMALL_ORDER_BYTES}. Reads the bytes
 * without copying or changing them (a Node `Buffer`'s `slice` is a view, not a copy).
 */
function hasSmallOrder(p: Uint8Array): boolean {
  return SMALL_ORDER_BYTES.some((known) => {
    for (let i = 0; i < 31; i++) if (p[i] !== known[i]) return false
    return (p[31]! & 0x7f) === known[31]
  })
}

const MAX_CACHED_KEYS = 4096
const keyVerdicts = new Map<string, boolean>()

/**
 * Whether a public key may sign: a canonical encoding of a point in the prime-order subgroup
 * (not of small order, no torsion component). Costs a scalar multiplication, so each key's verdict
 * is kept (for a bounded number of keys).
 */
export function isAcceptablePublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32) return false
  const id = toHex(publicKey)
  let verdict = keyVerdicts.get(id)
  if (verdict === undefined) {
    verdict =
      isCanonicalPoint(publicKey) && !hasSmallOrder(publicKey) && sodium().crypto_core_ed25519_is_valid_point(publicKey)
    if (keyVerdicts.size >= MAX_CACHED_KEYS) keyVerdicts.delete(keyVerdicts.keys().next().value!)
    keyVerdicts.set(id, verdict)
  }
  return verdict
}

/**
 * The one rule every Ed25519 check in Weft applies before any verifier runs, so libsodium and
 * WebCrypto (OpenSSL in Node, BoringSSL in Chromium) accept exactly the same signatures. Refused:
 * a signature that is not 64 bytes or a key that is not 32; `S ≥ L` (a non-canonical scalar, the
 * malleable `S + L` form); an `R` that is a non-canonical encoding or a point of small order
 * (WebCrypto accepts the identity as `R` when `S = H(R‖A‖M)·a`, libsodium does not); a public key
 * that {@link isAcceptablePublicKey} refuses. What passes is then checked by the cofactorless
 * equation `[S]B = R + [H(R‖A‖M)]A`, the same in both verifiers.
 */
export function passesEd25519Rule(signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false
  const r = signature.subarray(0, 32)
  if (!isCanonicalScalar(signature.subarray(32))) return false
  if (!isCanonicalPoint(r) || hasSmallOrder(r)) return false
  return isAcceptablePublicKey(publicKey)
}
