import type { SignatureCheck } from './SignatureVerifier.ts'

/**
 * The bytes a verifier thread gets for a batch of checks, one transferable buffer (little-endian):
 * `count: u32`, `count × messageLength: u32`, `count × (publicKey[32] ‖ signature[64])`, then the
 * messages back to back. One copy on the way out, none on the way back.
 */
export interface SignatureBatchRequest {
  readonly id: number
  readonly batch: ArrayBuffer
}

/** A thread's answer: one byte per check (1 verified, 0 not), or why it could not answer. */
export type SignatureBatchReply =
  { readonly id: number; readonly verdicts: Uint8Array } | { readonly id: number; readonly error: string }

const KEY = 32
const SIG = 64

/** Packs checks whose key and signature lengths were already checked (32 and 64 bytes). */
export function packSignatureChecks(checks: readonly SignatureCheck[]): ArrayBuffer {
  const n = checks.length
  let messages = 0
  for (const c of checks) messages += c.message.length
  const buffer = new ArrayBuffer(4 + 4 * n + (KEY + SIG) * n + messages)
  const view = new DataView(buffer)
  const bytes = new Uint8Array(buffer)
  view.setUint32(0, n, true)
  let fixed = 4 + 4 * n
  let at = fixed + (KEY + SIG) * n
  checks.forEach((c, i) => {
    view.setUint32(4 + 4 * i, c.message.length, true)
    bytes.set(c.publicKey, fixed)
    bytes.set(c.signature, fixed + KEY)
    fixed += KEY + SIG
    bytes.set(c.message, at)
    at += c.message.length
  })
  return buffer
}

/**
 * Reads a packed batch back into views over it (nothing copied). Throws a `RangeError` when the
 * lengths do not add up to the buffer, so a thread never reads past what it was given.
 */
export function unpackSignatureChecks(buffer: ArrayBuffer): SignatureCheck[] {
  const view = new DataView(buffer)
  if (buffer.byteLength < 4) throw new RangeError('signature batch too short')
  const n = view.getUint32(0, true)
  const fixedEnd = 4 + 4 * n + (KEY + SIG) * n
  if (fixedEnd > buffer.byteLength) throw new RangeError('signature batch too short for its count')
  const bytes = new Uint8Array(buffer)
  const checks: SignatureCheck[] = []
  let at = fixedEnd
  for (let i = 0; i < n; i++) {
    const length = view.getUint32(4 + 4 * i, true)
    if (at + length > buffer.byteLength) throw new RangeError('signature batch message past its end')
    const fixed = 4 + 4 * n + (KEY + SIG) * i
    checks.push({
      publicKey: bytes.subarray(fixed, fixed + KEY),
      signature: bytes.subarray(fixed + KEY, fixed + KEY + SIG),
      message: bytes.subarray(at, at + length),
    })
    at += length
  }
  if (at !== buffer.byteLength) throw new RangeError('signature batch has bytes past its last message')
  return checks
}
