import { ErrorCodes, isWeftError, WeftError } from '@weft/core/backend'

/** PostgreSQL error classes that mean storage is full or over a limit. */
const OUT_OF_SPACE = new Set(['53100', '53200', '53400', '54000'])

/**
 * Wraps anything `pg` throws into a {@link WeftError}: `WEFT_QUOTA_EXCEEDED` for PostgreSQL's
 * disk-full and out-of-resources errors, `WEFT_STORAGE_ERROR` for every other failure (connection
 * refused, permission denied, a server shut down). Weft errors pass unchanged.
 */
export function toStorageError(what: string, err: unknown): WeftError {
  if (isWeftError(err)) return err
  const code = (err as { code?: unknown })?.code
  const message = err instanceof Error ? err.message : String(err)
  const detail = typeof code === 'string' ? `${message} [${code}]` : message
  const weftCode =
    typeof code === 'string' && OUT_OF_SPACE.has(code) ? ErrorCodes.QUOTA_EXCEEDED : ErrorCodes.STORAGE_ERROR
  return new WeftError(weftCode, `${what}: ${detail}`, { cause: err })
}

/** Runs one storage operation, turning its failure into a typed error. */
export async function storageCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw toStorageError(what, err)
  }
}

/** The SQLSTATE of a `pg` error, if it has one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' ? code : undefined
}
