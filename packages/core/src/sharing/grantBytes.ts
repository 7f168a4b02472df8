import { ByteWriter } from '../codec/index.ts'
import type { GrantBody } from './grantFields.ts'

/**
 * The canonical bytes a grant's signature covers: every field in a fixed order, lists
 * length-prefixed, optional fields behind a presence byte, the filter as JSON with sorted keys.
 */
export function grantBytes(g: GrantBody): Uint8Array {
  const w = new ByteWriter(512).string('weft-grant').varint(g.v).string(g.id)
  w.string(g.source.tenantId).string(g.source.signingKey)
  w.string(g.partner.tenantId).string(g.partner.signingKey).string(g.partner.boxKey)
  list(w, g.databases)
  list(w, g.keyIds)
  if (g.filter === null) w.u8(0)
  else w.u8(1).string(JSON.stringify(Object.entries(g.filter.where).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))
  list(w, g.permissions)
  const c = g.conditions
  if (c.allowedEnvironments === null) w.u8(0)
  else list(w.u8(1), c.allowedEnvironments)
  if (c.maxSyncs === null) w.u8(0)
  else w.u8(1).varint(c.maxSyncs)
  w.u8(c.requiresApproval ? 1 : 0)
  w.varint(g.issuedAt)
  if (g.expiresAt === null) w.u8(0)
  else w.u8(1).varint(g.expiresAt)
  return w.finish()
}

function list(w: ByteWriter, items: readonly string[]): void {
  w.varint(items.length)
  for (const s of items) w.string(s)
}
