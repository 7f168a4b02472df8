import { ErrorCodes, isWeftError, WeftError } from '@weft/core'

/** Messages LevelDB (and Node) use when the disk is full or a size quota is reached. */
const OUT_OF_SPACE = /no space left on device|disk quota exceeded|file too large|\bENOSPC\b|\bEDQUOT\b|\bEFBIG\b/i

/**
 * Wraps anything `level` throws into a {@link WeftError}: `WEFT_QUOTA_EXCEEDED` when the disk is
 * full or a size quota was reached, `WEFT_STORAGE_ERROR` for every other failure (bad path, lock
 * held by another process, I/O error, database closed underneath). Weft errors pass unchanged.
 */
export function toStorageError(what: string, err: unknown): WeftError {
  if (isWeftError(err)) return err
  const detail = describe(err)
  const code = OUT_OF_SPACE.test(detail) ? ErrorCodes.QUOTA_EXCEEDED : ErrorCodes.STORAGE_ERROR
  return new WeftError(code, `${what}: ${detail}`, { cause: err })
}

/** Runs one storage operation, turning its failure into a typed error. */
export async function storageCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw toStorageError(what, err)
  }
}

/** The message of an error and of its causes, with their codes: level nests the useful part. */
function describe(err: unknown): string {
  const parts: string[] = []
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code
      parts.push(typeof code === 'string' ? `${e.message} [${code}]` : e.message)
      e = e.cause
    } else {
      parts.push(String(e))
      break
    }
  }
  return parts.join(': ')
}
