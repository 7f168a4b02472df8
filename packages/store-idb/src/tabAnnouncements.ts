import type { ChangeHash } from '@weft/core/backend'

/** What one store tells the same store in other tabs (and other connections in this one). */
export interface AppendAnnouncement {
  readonly v: 1
  readonly hashes: readonly string[]
}

const HASH = /^[0-9a-f]{64}$/

/** The `BroadcastChannel` a store of `database` named `store` announces its appends on. */
export function channelName(database: string, store: string): string {
  return `weft-idb:${JSON.stringify([database, store])}`
}

/** The announcement of an append that added `hashes`. */
export function announcement(hashes: readonly string[]): AppendAnnouncement {
  return { v: 1, hashes }
}

/**
 * The hashes a message heard on the channel names: anything another tab (or anyone else on the
 * channel) posts is checked, and what is not a well-formed announcement names none.
 */
export function parseAnnouncement(data: unknown): ChangeHash[] {
  if (typeof data !== 'object' || data === null || (data as AppendAnnouncement).v !== 1) return []
  const hashes = (data as AppendAnnouncement).hashes
  if (!Array.isArray(hashes)) return []
  return hashes.filter((h): h is ChangeHash => typeof h === 'string' && HASH.test(h))
}
