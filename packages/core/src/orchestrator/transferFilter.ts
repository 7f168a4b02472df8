import { filterFingerprint, fingerprintDigest, type DocFilter } from '../db/index.ts'
import type { SyncState } from '../sync/index.ts'

const NONE = '-'
const OWN = /^i:own=([0-9a-f]{32}|-);permit=([0-9a-f]{32}|-)$/

function part(filter: DocFilter | undefined): string {
  const fingerprint = filterFingerprint(filter)
  return fingerprint === undefined ? NONE : fingerprintDigest(fingerprint)
}

/**
 * The filter id a transfer's sync state records: the relationship's own filter and the permit's
 * (a grant's), each by fingerprint, so the orchestrator can tell later which of them changed.
 */
export function transferFilterId(own: DocFilter | undefined, permit: DocFilter | undefined): string {
  return `own=${part(own)};permit=${part(permit)}`
}

/**
 * Whether the relationship's own filter differs from the one `state` was last walked under (a
 * relationship added again with another filter, after a restart say). Such a transfer is due even
 * when the source has nothing new: the documents the new filter matches must be sent.
 */
export function ownFilterChanged(state: SyncState, own: DocFilter | undefined): boolean {
  const expected = part(own)
  if (state.filter === undefined) return expected !== NONE
  const m = OWN.exec(state.filter)
  return !m || m[1] !== expected
}
