import {
  ErrorCodes,
  isChangeHash,
  isPrefix,
  toTenantId,
  unpackHashes,
  WeftError,
  type ChangeHash,
  type Cursor,
  type HashRange,
  type TenantId,
} from '@weft/core/backend'
import type { ProtocolLimits } from './constants.ts'

// Checked readers for the fields of decoded, untrusted messages: each returns a typed value or
// throws `WEFT_PROTOCOL` (`WEFT_TOO_MANY_ENTRIES` for a list over its limit). Used by every parser.

/** A message's fields: it must be a map (an absent body reads as an empty one). */
export function fieldsOf(raw: unknown, what = 'the body'): Record<string, unknown> {
  if (raw === undefined || raw === null) return {}
  if (typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array) throw bad(`${what} is a map`)
  return raw as Record<string, unknown>
}

/** Bytes, of exactly `length` when given, or at most `max`. */
export function bytesField(raw: unknown, name: string, size: { length?: number; max?: number } = {}): Uint8Array {
  if (!(raw instanceof Uint8Array)) throw bad(`${name} is bytes`)
  if (size.length !== undefined && raw.length !== size.length) throw bad(`${name} is ${size.length} bytes`)
  if (size.max !== undefined && raw.length > size.max)
    throw new WeftError(ErrorCodes.PAYLOAD_TOO_LARGE, `${name} is at most ${size.max} bytes`)
  return raw
}

/** A string of at most `max` characters. */
export function stringField(raw: unknown, name: string, max: number): string {
  if (typeof raw !== 'string' || raw.length > max) throw bad(`${name} is a string of at most ${max} characters`)
  return raw
}

/** A whole number from 0 up to `Number.MAX_SAFE_INTEGER`. */
export function countField(raw: unknown, name: string): number {
  if (!Number.isSafeInteger(raw) || (raw as number) < 0) throw bad(`${name} is a whole number, 0 or more`)
  return raw as number
}

/** An optional positive limit: `fallback` when absent, capped at `max`. */
export function limitField(raw: unknown, name: string, fallback: number, max: number): number {
  if (raw === undefined || raw === null) return Math.min(fallback, max)
  if (!Number.isSafeInteger(raw) || (raw as number) <= 0) throw bad(`${name} is a whole number above 0`)
  return Math.min(raw as number, max)
}

/** Concatenated 32-byte hashes, at most `maxHashesPerRequest` of them. */
export function hashListField(raw: unknown, limits: ProtocolLimits, name = 'hashes'): ChangeHash[] {
  if (!(raw instanceof Uint8Array) || raw.length % 32 !== 0) throw bad(`${name} must be concatenated 32-byte values`)
  if (raw.length / 32 > limits.maxHashesPerRequest) {
    throw new WeftError(
      ErrorCodes.TOO_MANY_ENTRIES,
      `${raw.length / 32} hashes in one request; the limit is ${limits.maxHashesPerRequest}`,
    )
  }
  return unpackHashes(raw)
}

/** A hex change hash. */
export function hashField(raw: unknown, name: string): ChangeHash {
  if (!isChangeHash(raw)) throw bad(`${name} is 64 lowercase hex characters`)
  return raw
}

/**
 * A store cursor, or null (absent: null). Every field the core `Cursor` declares is checked and
 * kept: `epoch`, `seq`, and the optional position check `at`.
 */
export function cursorField(raw: unknown, name = 'since'): Cursor | null {
  if (raw === null || raw === undefined) return null
  const c = fieldsOf(raw, name)
  if (typeof c.epoch !== 'string' || c.epoch.length > 128 || !Number.isSafeInteger(c.seq) || (c.seq as number) < 0)
    throw bad(`bad cursor in ${name}`)
  if (c.at !== undefined && !isPrefix(c.at)) throw bad(`bad position check in ${name}: hex, at most 64 characters`)
  const cursor: Cursor = { epoch: c.epoch, seq: c.seq as number }
  return c.at === undefined ? cursor : { ...cursor, at: c.at }
}

/** A range of hashes by hex prefix bounds: `upper` null means to the end. */
export function rangeField(raw: unknown, name = 'range'): HashRange {
  const r = fieldsOf(raw, name)
  if (raw === undefined || raw === null || !isPrefix(r.lower) || !(r.upper === null || isPrefix(r.upper)))
    throw bad(`bad hash range in ${name}`)
  return { lower: r.lower, upper: r.upper }
}

/** A tenant id, by the core rule (`toTenantId`). */
export function tenantField(raw: unknown, name: string): TenantId {
  if (typeof raw !== 'string') throw bad(`${name} is a tenant id`)
  try {
    return toTenantId(raw)
  } catch (cause) {
    throw new WeftError(ErrorCodes.PROTOCOL, `${name}: tenant ids are 1-512 bytes without '/' or control characters`, {
      cause,
    })
  }
}

export function bad(message: string): WeftError {
  return new WeftError(ErrorCodes.PROTOCOL, message)
}
