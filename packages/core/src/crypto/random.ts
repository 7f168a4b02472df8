/** Bytes drawn from the platform CSPRNG at once, then handed out in small requests. */
const POOL_BYTES = 4096
/** Requests above this go straight to the CSPRNG. */
const POOLED_MAX = 256

let pool: Uint8Array = new Uint8Array(0)
let at = 0

/**
 * Random bytes from the platform CSPRNG (`crypto.getRandomValues`). Measured here it is about 20x
 * cheaper per call than libsodium-wrappers' `randombytes_buf`, and it needs no WebAssembly. Small
 * requests (nonces, keys, ids: a few per write) are cut from a pool filled 4 KiB at a time,
 * since in Node each call costs about 6 µs whatever its size, and a 4 KiB call about 15 µs. The
 * caller gets its own copy, and the pool's bytes are zeroed as they are handed out, so no byte is
 * given twice and a byte handed out (a key, say) does not stay behind in the pool.
 */
export function randomBytes(n: number): Uint8Array {
  if (n > POOLED_MAX) return drawn(n)
  if (at + n > pool.length) {
    pool = drawn(POOL_BYTES)
    at = 0
  }
  const out = pool.slice(at, at + n)
  pool.fill(0, at, at + n)
  at += n
  return out
}

function drawn(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let off = 0; off < n; off += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)))
  }
  return out
}
