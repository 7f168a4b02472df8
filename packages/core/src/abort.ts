import { ErrorCodes, WeftError } from './errors.ts'

/** Throws `WEFT_ABORTED` (with the signal's reason as cause) when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'operation'): void {
  if (signal?.aborted) throw new WeftError(ErrorCodes.ABORTED, `${what} aborted`, { cause: signal.reason })
}
