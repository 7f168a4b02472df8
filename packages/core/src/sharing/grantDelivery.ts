import { fromBase64Url } from '../codec/index.ts'
import { sealKeyVersions } from '../keys/index.ts'
import type { KeyDelivery } from '../orchestrator/index.ts'
import type { TenantId } from '../types.ts'
import type { GrantBook } from './GrantBook.ts'
import type { IssuedGrantRecord } from './GrantRecords.ts'
import { rosterFor } from './rosterFor.ts'
import { signWriterRoster } from './signWriterRoster.ts'

/** True when the partner of an issued grant lacks a key version or the current writer roster. Cheap: seals and signs nothing. */
export function deliveryDue(book: GrantBook, rec: IssuedGrantRecord): boolean {
  return keysDue(book, rec) || rosterFor(book, rec.grant).version !== (rec.roster?.version ?? '')
}

/**
 * What the partner of an issued grant must take in before the round's entries: the grant's keys
 * sealed again when it lacks the newest version of any of them, and the writer roster when it
 * changed. The record is updated only once the receiver took them (`delivered`).
 */
export function pendingDelivery(book: GrantBook, rec: IssuedGrantRecord): KeyDelivery | undefined {
  const sealed: Uint8Array[] = []
  const upTo: Record<string, number> = { ...rec.delivered }
  if (keysDue(book, rec)) {
    const bag = book.host.keyBag
    const boxKey = fromBase64Url(rec.grant.partner.boxKey)
    for (const keyId of rec.grant.keyIds) {
      const versions = bag.versions(keyId)
      const newest = versions[versions.length - 1]?.version ?? 0
      if (newest === 0) continue
      // Every key of the grant, not only the one that changed, so the newest delivery holds all
      // the partner needs and a relay can keep that one only (it supersedes the earlier ones).
      // Every version, not only the new ones: the partner accepts newer versions of a name it
      // holds only alongside one it already has (so nobody can slip a foreign key under it).
      sealed.push(sealKeyVersions(keyId, versions, boxKey, book.host.signer))
      upTo[keyId] = newest
    }
  }
  const planned = rosterFor(book, rec.grant)
  const rosterChanged = planned.version !== (rec.roster?.version ?? '')
  if (!sealed.length && !rosterChanged) return undefined
  // Above every seq handed out before, and the issuer's clock when it moves forward.
  const seq = Math.max(book.host.now(), (rec.roster?.seq ?? 0) + 1)
  return {
    grantId: rec.grant.id,
    to: rec.grant.partner.tenantId as TenantId,
    sealed,
    ...(rosterChanged ? { roster: signWriterRoster(planned.build(seq), book.host.signer) } : {}),
    delivered: async () => {
      const latest = book.issued.get(rec.grant.id)!
      const merged = { ...latest.delivered }
      for (const [k, v] of Object.entries(upTo)) merged[k] = Math.max(merged[k] ?? 0, v)
      await book.putIssued({
        ...latest,
        delivered: merged,
        ...(rosterChanged ? { roster: { version: planned.version, seq } } : {}),
      })
    },
  }
}

function keysDue(book: GrantBook, rec: IssuedGrantRecord): boolean {
  const bag = book.host.keyBag
  return rec.grant.keyIds.some((k) => bag.has(k) && bag.current(k).version > (rec.delivered[k] ?? 0))
}
