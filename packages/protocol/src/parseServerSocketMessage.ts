import { isDbName } from '@weft/core'
import { ErrorCodes, WeftError } from '@weft/core/backend'
import type { ProtocolLimits } from './constants.ts'
import type { ServerSocketMessage, WireEntry } from './messages.ts'
import { bad, bytesField, cursorField, fieldsOf, hashField } from './parseFields.ts'
import { presenceDataField, presenceScopeField } from './parsePresenceSocketMessage.ts'

/** Most entries one `entries` message may carry (the server sends pages of at most 500). */
const MAX_SOCKET_ENTRIES = 2_000

/**
 * Checks a decoded message a server sent on a live socket and returns it typed: `WEFT_PROTOCOL`
 * when malformed, `WEFT_TOO_MANY_ENTRIES` or `WEFT_PAYLOAD_TOO_LARGE` past the limits. The entries'
 * bytes are only shaped here: whoever stores or reads them verifies them as untrusted.
 */
export function parseServerSocketMessage(raw: unknown, limits: ProtocolLimits): ServerSocketMessage {
  const m = fieldsOf(raw, 'a socket message')
  if (m.type === 'error' || m.type === 'presence-refused') {
    if (typeof m.code !== 'string' || !/^WEFT_[A-Z_]{1,60}$/.test(m.code)) throw bad('an error carries a WEFT_ code')
    const message = typeof m.message === 'string' ? m.message.slice(0, 1_000) : ''
    if (m.type === 'error') return { type: 'error', code: m.code, message }
    return { type: 'presence-refused', scope: presenceScopeField(m.scope), code: m.code, message }
  }
  if (m.type === 'presence')
    return { type: 'presence', scope: presenceScopeField(m.scope), data: presenceDataField(m.data) }
  if (m.type !== 'entries') throw bad('unknown socket message')
  if (!isDbName(m.db)) throw bad('db is a database name')
  if (!Array.isArray(m.entries)) throw bad('entries is a list')
  if (m.entries.length > MAX_SOCKET_ENTRIES)
    throw new WeftError(ErrorCodes.TOO_MANY_ENTRIES, `${m.entries.length} entries in one socket message`)
  const entries: WireEntry[] = m.entries.map((e: unknown, i: number) => {
    const f = fieldsOf(e, `entry ${i}`)
    return {
      hash: hashField(f.hash, `entry ${i}'s hash`),
      bytes: bytesField(f.bytes, `entry ${i}'s bytes`, { max: limits.maxEntryBytes }),
    }
  })
  const cursor = cursorField(m.cursor, 'cursor')
  if (!cursor) throw bad('an entries message carries a cursor')
  if (typeof m.reset !== 'boolean' || typeof m.done !== 'boolean') throw bad('reset and done are booleans')
  return { type: 'entries', db: m.db, entries, cursor, reset: m.reset, done: m.done }
}
