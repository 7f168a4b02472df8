import { isDbName, PRESENCE_LIMITS } from '@weft/core'
import { ErrorCodes, WeftError } from '@weft/core/backend'
import type { PresenceSocketMessage } from './messages.ts'
import { bad, bytesField } from './parseFields.ts'

/** The socket message types that carry presence, client to server. */
export const PRESENCE_SOCKET_TYPES = ['presence-watch', 'presence-unwatch', 'presence'] as const

/** True when `type` is one of {@link PRESENCE_SOCKET_TYPES}. */
export function isPresenceSocketType(type: unknown): type is PresenceSocketMessage['type'] {
  return (PRESENCE_SOCKET_TYPES as readonly unknown[]).includes(type)
}

/** A presence scope: a database name, or `''` for the tenant's own presence. */
export function presenceScopeField(raw: unknown): string {
  if (raw === '' || isDbName(raw)) return raw as string
  throw bad("a presence scope is a database name, or '' for the tenant")
}

/** A presence message's bytes: `WEFT_PAYLOAD_TOO_LARGE` past `PRESENCE_LIMITS.maxMessageBytes`. */
export function presenceDataField(raw: unknown): Uint8Array {
  if (raw instanceof Uint8Array && raw.length > PRESENCE_LIMITS.maxMessageBytes)
    throw new WeftError(
      ErrorCodes.PAYLOAD_TOO_LARGE,
      `a presence message is at most ${PRESENCE_LIMITS.maxMessageBytes} bytes (this one: ${raw.length})`,
    )
  return bytesField(raw, 'presence data')
}

/**
 * Checks the fields of a presence socket message (client to server) whose `type` was checked by
 * {@link isPresenceSocketType}: `WEFT_PROTOCOL` when malformed, `WEFT_PAYLOAD_TOO_LARGE` past the size limit.
 */
export function parsePresenceSocketMessage(m: Record<string, unknown>): PresenceSocketMessage {
  const scope = presenceScopeField(m.scope)
  switch (m.type) {
    case 'presence-watch':
      return { type: 'presence-watch', scope }
    case 'presence-unwatch':
      return { type: 'presence-unwatch', scope }
    case 'presence':
      return { type: 'presence', scope, data: presenceDataField(m.data) }
    default:
      throw bad('unknown socket message')
  }
}
