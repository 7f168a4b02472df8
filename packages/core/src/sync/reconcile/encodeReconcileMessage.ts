import { fromHexInto, packValue, toHex, unpackValue } from '../../codec/index.ts'
import { ErrorCodes, WeftError } from '../../errors.ts'
import { asChangeHash, type ChangeHash } from '../../types.ts'
import {
  BRANCHES,
  FINGERPRINT_BYTES,
  HASH_BYTES,
  RECONCILE_LIMITS,
  RECONCILE_VERSION,
  type ReconcileItem,
  type ReconcileMessage,
} from './ReconcileMessage.ts'
import { isPrefix } from './prefixRange.ts'

/** MessagePack bytes of a reconciliation message. */
export function encodeReconcileMessage(message: ReconcileMessage): Uint8Array {
  return packValue(message)
}

/**
 * Decodes and checks a reconciliation message from anywhere untrusted: size first, then version,
 * item count, prefixes and every byte length. `WEFT_PROTOCOL` when anything is off.
 */
export function parseReconcileMessage(bytes: Uint8Array): ReconcileMessage {
  let raw: unknown
  try {
    raw = unpackValue(bytes, RECONCILE_LIMITS.maxMessageBytes)
  } catch (cause) {
    throw new WeftError(ErrorCodes.PROTOCOL, 'reconciliation message is not valid MessagePack or too large', { cause })
  }
  return checkReconcileMessage(raw)
}

/** Checks an already decoded value (say, a field of a larger message) is a valid message. */
export function checkReconcileMessage(raw: unknown): ReconcileMessage {
  const m = raw as { v?: unknown; items?: unknown }
  if (!m || typeof m !== 'object' || m.v !== RECONCILE_VERSION) fail('unknown reconciliation version')
  if (!Array.isArray(m.items) || m.items.length > RECONCILE_LIMITS.maxItems) fail('bad item list')
  return { v: RECONCILE_VERSION, items: (m.items as unknown[]).map(checkItem) }
}

function checkItem(raw: unknown): ReconcileItem {
  const it = raw as Record<string, unknown>
  if (!it || typeof it !== 'object' || !isPrefix(it.p)) fail('bad item prefix')
  const p = it.p as string
  switch (it.t) {
    case 'fingerprint':
      if (!isCount(it.n) || !isBytes(it.fp, FINGERPRINT_BYTES)) fail('bad fingerprint item')
      return { t: 'fingerprint', p, n: it.n as number, fp: it.fp as Uint8Array }
    case 'split':
      if (p.length >= 64) fail('cannot split a full hash')
      if (!Array.isArray(it.n) || it.n.length !== BRANCHES || !it.n.every(isCount)) fail('bad split counts')
      if (!isBytes(it.fp, FINGERPRINT_BYTES * BRANCHES)) fail('bad split fingerprints')
      return { t: 'split', p, n: it.n as number[], fp: it.fp as Uint8Array }
    case 'ids':
      checkIds(it.ids)
      return { t: 'ids', p, ids: it.ids as Uint8Array }
    case 'diff':
      checkIds(it.give)
      checkIds(it.want)
      return { t: 'diff', p, give: it.give as Uint8Array, want: it.want as Uint8Array }
    default:
      return fail('unknown item type')
  }
}

const isCount = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0
const isBytes = (b: unknown, length: number): boolean => b instanceof Uint8Array && b.length === length

function checkIds(b: unknown): void {
  if (
    !(b instanceof Uint8Array) ||
    b.length % HASH_BYTES !== 0 ||
    b.length / HASH_BYTES > RECONCILE_LIMITS.maxIdsPerItem
  ) {
    fail('bad hash list')
  }
}

function fail(message: string): never {
  throw new WeftError(ErrorCodes.PROTOCOL, message)
}

/** Hashes as concatenated 32-byte values. */
export function packHashes(hashes: readonly string[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_BYTES)
  hashes.forEach((h, i) => fromHexInto(h, out, i * HASH_BYTES))
  return out
}

/** The inverse of {@link packHashes}. */
export function unpackHashes(bytes: Uint8Array): ChangeHash[] {
  const out: ChangeHash[] = []
  for (let i = 0; i < bytes.length; i += HASH_BYTES) out.push(asChangeHash(toHex(bytes.subarray(i, i + HASH_BYTES))))
  return out
}
