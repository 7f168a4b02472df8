import { packValue, unpackValue } from '@weft/core/backend'

/** A tenant's membership as the server keeps it: its admin, root, members, revoked and author keys. */
export interface Membership {
  admin: string
  /**
   * The key that first registered the tenant: the root its directory is folded from. A transfer
   * changes the admin, never the root; a reset forgets both.
   */
  root: string
  seq: number
  members: Set<string>
  revoked: Set<string>
  /** Members whose membership ends, and when (ms since the epoch). */
  until: Map<string, number>
  /** Keys accepted as authors of entries only: they cannot sign in. */
  authors: Set<string>
  /** Size of the stored record, in bytes. */
  bytes: number
}

/** The stored record of a membership (its `bytes` is not part of it: the record's length is). */
export function encodeMembership(m: Membership): Uint8Array {
  return packValue({
    admin: m.admin,
    root: m.root,
    seq: m.seq,
    members: [...m.members],
    revoked: [...m.revoked],
    until: [...m.until],
    authors: [...m.authors],
  })
}

/** A membership from its stored record (one of an earlier version has no root, until or authors). */
export function decodeMembership(bytes: Uint8Array): Membership {
  const raw = unpackValue<{
    admin: string
    root?: string
    seq: number
    members: string[]
    revoked: string[]
    until?: [string, number][]
    authors?: string[]
  }>(bytes, 16 << 20)
  return {
    admin: raw.admin,
    root: raw.root ?? raw.admin,
    seq: raw.seq,
    members: new Set(raw.members),
    revoked: new Set(raw.revoked),
    until: new Map(raw.until ?? []),
    authors: new Set(raw.authors ?? []),
    bytes: bytes.length,
  }
}

/** Keys a tenant holds: its members (the admin among them) and its author-only keys. */
export function keyCount(m: Membership): number {
  let n = m.members.size
  for (const k of m.authors) if (!m.members.has(k)) n++
  return n
}
