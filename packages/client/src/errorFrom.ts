import { ErrorCodes, WeftError } from '@weft/core/backend'

/** The error a server answered with status `status`: its `{ code, message }` body, else one by the status. */
export function errorFrom(status: number, payload: Uint8Array): WeftError {
  try {
    const body = JSON.parse(new TextDecoder().decode(payload)) as { code?: string; message?: string }
    if (typeof body.code === 'string')
      return new WeftError(body.code as WeftError['code'], body.message ?? `HTTP ${status}`)
  } catch {
    // not a Weft error body: fall through
  }
  return new WeftError(status >= 500 ? ErrorCodes.SERVER_ERROR : ErrorCodes.PROTOCOL, `HTTP ${status}`)
}
