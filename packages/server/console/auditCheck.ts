import type { AuditRecord, AuditVerification } from '@weft/core'
import { fromBase64Url, openAuditRecord, verifyAuditTrailPart } from '@weft/core/backend'
import type { ReportedAudit } from '@weft/client'

/** One record of the trail as the console shows it. */
export interface CheckedRecord {
  readonly position: number
  /** The record, when its signature verifies under the trail's key; undefined when it does not. */
  readonly record: AuditRecord | undefined
  /** This record is where the trail stops verifying. */
  readonly flagged: boolean
}

/** The trail a report carries, verified here: signatures, positions, the hash chain and the signed head. */
export function checkAudit(audit: ReportedAudit): { verification: AuditVerification; records: CheckedRecord[] } {
  const key = fromBase64Url(audit.signingKey)
  const stored = audit.records.map((r) => ({ position: r.position, bytes: fromBase64Url(r.bytes) }))
  const { verification } = verifyAuditTrailPart(
    stored,
    audit.head === null ? undefined : fromBase64Url(audit.head),
    { tenant: audit.tenant, signingKey: key },
    audit.start,
  )
  const records = stored.map((s) => {
    const record = openAuditRecord(s.bytes, key)
    const ok = record !== undefined && record.tenant === audit.tenant
    return {
      position: s.position,
      record: ok ? record : undefined,
      flagged: !ok || (!verification.ok && verification.seq === s.position),
    }
  })
  return { verification, records }
}
