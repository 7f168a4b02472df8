import { ErrorCodes, WeftError } from '@weft/core'

/**
 * Maps what IndexedDB throws (a `DOMException`, or the error a transaction aborted with) to a
 * {@link WeftError}: `QuotaExceededError` becomes `WEFT_QUOTA_EXCEEDED`, anything else
 * `WEFT_STORAGE_ERROR`. Weft errors pass through unchanged.
 */
export function toStorageError(err: unknown, action: string): WeftError {
  if (err instanceof WeftError) return err
  const name = typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : ''
  const message = err instanceof Error ? err.message : String(err)
  if (name === 'QuotaExceededError') {
    return new WeftError(
      ErrorCodes.QUOTA_EXCEEDED,
      `IndexedDB is over its quota while trying to ${action}; nothing was written`,
      { cause: err },
    )
  }
  return new WeftError(
    ErrorCodes.STORAGE_ERROR,
    `IndexedDB failed to ${action}: ${name ? `${name}: ` : ''}${message}`,
    { cause: err },
  )
}
