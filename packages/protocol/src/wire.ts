import { ErrorCodes, packValue, unpackValue, WeftError } from '@weft/core/backend'
import { decodeBudget, type MessageKind } from './budgets.ts'
import type { ProtocolLimits } from './constants.ts'
import { measureMessagePack, type DecodeBudget } from './measureMessagePack.ts'

/** MessagePack bytes of a protocol body. */
export function encodeBody(value: unknown): Uint8Array {
  return packValue(value)
}

/** Decodes a protocol body, size-checked first; `WEFT_PROTOCOL` when it is not MessagePack. */
export function decodeBody<T>(bytes: Uint8Array, maxBytes: number): T {
  if (bytes.length > maxBytes)
    throw new WeftError(ErrorCodes.PAYLOAD_TOO_LARGE, `body of ${bytes.length} bytes is over the ${maxBytes} limit`)
  try {
    return unpackValue<T>(bytes, maxBytes)
  } catch (cause) {
    throw new WeftError(ErrorCodes.PROTOCOL, 'body is not valid MessagePack', { cause })
  }
}

/**
 * Decodes an untrusted message of `kind` within its budget: the size first, then a walk over the
 * raw bytes that counts values, nesting and estimated memory (see {@link measureMessagePack}),
 * and only then the decoder. `WEFT_PAYLOAD_TOO_LARGE` over the budget, `WEFT_PROTOCOL` when it is
 * not a protocol message. Parse the result with the operation's parser.
 */
export function decodeMessage(
  bytes: Uint8Array,
  kind: MessageKind,
  limits: ProtocolLimits,
  maxBytes = limits.maxBodyBytes,
): unknown {
  return decodeWithin(bytes, maxBytes, decodeBudget(kind, limits))
}

/** {@link decodeMessage} with an explicit budget. */
export function decodeWithin(bytes: Uint8Array, maxBytes: number, budget: DecodeBudget): unknown {
  if (bytes.length > maxBytes)
    throw new WeftError(ErrorCodes.PAYLOAD_TOO_LARGE, `body of ${bytes.length} bytes is over the ${maxBytes} limit`)
  if (bytes.length === 0) return undefined
  measureMessagePack(bytes, budget)
  try {
    return unpackValue<unknown>(bytes, maxBytes)
  } catch (cause) {
    throw new WeftError(ErrorCodes.PROTOCOL, 'body is not valid MessagePack', { cause })
  }
}

/**
 * The largest answer a client takes from a server: a response is capped at `maxResponseBytes`
 * (8 MiB by default) but a single entry larger than that goes alone, up to the entry limit.
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024

/**
 * What decoding a server's answer of `n` bytes may cost. A client does not trust its server
 * either: answers are bounded in size, nesting and estimated decoded memory (a few times the
 * bytes), so a hostile server cannot make a client allocate gigabytes from a small answer.
 */
export function answerBudget(n: number): DecodeBudget {
  return { maxElements: 16 + n, maxDepth: 8, maxDecodedBytes: 16 * 1024 * 1024 + 4 * n }
}

/** Decodes a server's answer (HTTP body or socket message) within {@link answerBudget}. */
export function decodeAnswer<T>(bytes: Uint8Array): T {
  return decodeWithin(bytes, MAX_ANSWER_BYTES, answerBudget(bytes.length)) as T
}

/** HTTP status for each error code the server sends. */
export function httpStatusOf(code: string): number {
  switch (code) {
    case ErrorCodes.UNAUTHORIZED:
      return 401
    case ErrorCodes.FORBIDDEN:
    case ErrorCodes.REGISTRATION_CLOSED:
    case ErrorCodes.MEMBER_RECORD_REFUSED:
    case ErrorCodes.READ_ONLY:
    case ErrorCodes.TENANT_SUSPENDED:
    case ErrorCodes.FEATURE_DISABLED:
      return 403
    case ErrorCodes.TENANT_NOT_FOUND:
      return 404
    case ErrorCodes.TENANT_EXISTS:
    case ErrorCodes.TENANT_STATE:
    case ErrorCodes.MOVE_NOT_ALLOWED:
      return 409
    case ErrorCodes.PAYLOAD_TOO_LARGE:
    case ErrorCodes.TOO_MANY_ENTRIES:
      return 413
    case ErrorCodes.RATE_LIMITED:
      return 429
    case ErrorCodes.STORAGE_ERROR:
    case ErrorCodes.SERVER_ERROR:
      return 500
    case ErrorCodes.TENANT_MOVING:
      return 503
    case ErrorCodes.QUOTA_EXCEEDED:
    case ErrorCodes.SERVER_FULL:
      return 507
    default:
      return 400
  }
}
