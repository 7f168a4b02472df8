import { isDbName } from '@weft/core'
import type { ClientSocketMessage } from './messages.ts'
import { bad, cursorField, fieldsOf } from './parseFields.ts'
import { isPresenceSocketType, parsePresenceSocketMessage } from './parsePresenceSocketMessage.ts'

/**
 * Checks a decoded message a client sent on its socket and returns it typed; `WEFT_PROTOCOL` when
 * malformed (`WEFT_PAYLOAD_TOO_LARGE` for a presence message over its limit).
 */
export function parseClientSocketMessage(raw: unknown): ClientSocketMessage {
  const m = fieldsOf(raw, 'a socket message')
  if (isPresenceSocketType(m.type)) return parsePresenceSocketMessage(m)
  if (m.type !== 'subscribe' && m.type !== 'unsubscribe') throw bad('unknown socket message')
  if (!isDbName(m.db)) throw bad('db is a database name: 1-128 bytes without / or control characters')
  switch (m.type) {
    case 'subscribe':
      return { type: 'subscribe', db: m.db, since: cursorField(m.since) }
    case 'unsubscribe':
      return { type: 'unsubscribe', db: m.db }
  }
}
