import { canonicalTextProblem } from '../codec/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'

const DB_NAME = /^[^\u0000-\u001f/]{1,128}$/

/**
 * The error refusing `name` as a database name, or undefined when it is one: database names are
 * 1-128 bytes of NFC text without `/`, a byte-order mark or control characters.
 */
export function dbNameError(name: string): WeftError | undefined {
  if (!DB_NAME.test(name) || new TextEncoder().encode(name).length > 128 || canonicalTextProblem(name)) {
    return new WeftError(
      ErrorCodes.INVALID_ARGUMENT,
      'database names are 1-128 bytes of NFC text without /, a byte-order mark or control characters',
    )
  }
  return undefined
}
