import { matchesFilter, type Database, type DocumentInfo } from '../db/index.ts'
import type { Origin } from '../types.ts'
import type { Permission } from './Grant.ts'
import { receivedInfo, type GrantStatus } from './GrantInfo.ts'
import type { ReceivedGrantRecord } from './GrantRecords.ts'

/** The grant a shared document arrived under, as a listing shows it. */
export interface SharedVia {
  readonly grantId: string
  /** The tenant that shared it, and the admin key that signed the grant. */
  readonly sharedBy: string
  readonly sharedByKey: string
  /** When the grant was issued (issuer's clock) and accepted here. */
  readonly sharedAt: number
  readonly acceptedAt: number
  readonly permissions: readonly Permission[]
  readonly expiresAt: number | null
  readonly status: GrantStatus
}

/** A document another tenant shared into this database. */
export interface SharedDocumentInfo extends DocumentInfo {
  readonly origin: Origin
  /** The accepted grant that covers it, or null when it came another way (a plain partner link). */
  readonly via: SharedVia | null
}

/** A database's documents, split into own and shared. */
export interface DocumentListing {
  readonly own: DocumentInfo[]
  readonly shared: SharedDocumentInfo[]
}

/**
 * Lists a database's documents as own and shared, joining each shared one with the accepted grant
 * that covers it: same source tenant and database, mapped into this database, and (for a readable
 * document) matching the grant's filter. A live grant wins over an ended one, then the newest.
 */
export async function listDocuments(
  db: Database,
  received: readonly ReceivedGrantRecord[],
  now: number,
): Promise<DocumentListing> {
  const own: DocumentInfo[] = []
  const shared: SharedDocumentInfo[] = []
  for (const info of await db.listDocuments()) {
    if (info.own || !info.origin) {
      own.push(info)
      continue
    }
    const origin = info.origin
    const doc = await db.getDocument(info.id)
    const candidates = received
      .filter((r) => r.grant.source.tenantId === origin.tenant && r.grant.databases.includes(origin.db))
      .filter((r) => (r.databases[origin.db] ?? origin.db) === db.name)
      .filter((r) => !doc || r.grant.filter === null || matchesFilter(r.grant.filter, doc))
      .map((r) => ({ r, info: receivedInfo(r, now) }))
      .sort((a, b) => rank(a.info.status) - rank(b.info.status) || b.r.grant.issuedAt - a.r.grant.issuedAt)
    const best = candidates[0]
    shared.push({
      ...info,
      origin,
      via: best
        ? {
            grantId: best.r.grant.id,
            sharedBy: best.r.grant.source.tenantId,
            sharedByKey: best.r.grant.source.signingKey,
            sharedAt: best.r.grant.issuedAt,
            acceptedAt: best.r.acceptedAt,
            permissions: best.r.grant.permissions,
            expiresAt: best.r.grant.expiresAt,
            status: best.info.status,
          }
        : null,
    })
  }
  return { own, shared }
}

function rank(status: GrantStatus): number {
  return status === 'active' ? 0 : status === 'pending' ? 1 : 2
}
