import { ErrorCodes, packValue, unpackValue, WeftError } from '@weft/core'

/** MessagePack bytes of a protocol body. */
export function encodeBody(value: unknown): Uint8Array {
  return packValue(value)
}

/** Decodes a protocol body, size-checked first; `WEFT_PROTOCOL` when it is not MessagePack. */
export function decodeBody<T>(bytes: Uint8Array, maxBytes: number): T {
  if (bytes.length > maxBytes) throw new WeftError(ErrorCodes.PAYLOAD_TOO_LARGE, `body of ${bytes.length} bytes is over the ${maxBytes} limit`)
  try {
    return unpackValue<T>(bytes, maxBytes)
  } catch (cause) {
    throw new WeftError(ErrorCodes.PROTOCOL, 'body is not valid MessagePack', { cause })
  }
}

/** HTTP status for each error code the server sends. */
export function httpStatusOf(code: string): number {
  switch (code) {
    case ErrorCodes.UNAUTHORIZED:
      return 401
    case ErrorCodes.FORBIDDEN:
    case ErrorCodes.REGISTRATION_CLOSED:
      return 403
    case ErrorCodes.PAYLOAD_TOO_LARGE:
    case ErrorCodes.TOO_MANY_ENTRIES:
      return 413
    case ErrorCodes.RATE_LIMITED:
      return 429
    case ErrorCodes.STORAGE_ERROR:
    case ErrorCodes.SERVER_ERROR:
      return 500
    case ErrorCodes.QUOTA_EXCEEDED:
    case ErrorCodes.SERVER_FULL:
      return 507
    default:
      return 400
  }
}
