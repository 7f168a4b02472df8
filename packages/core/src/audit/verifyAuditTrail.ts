import { ErrorCodes, WeftError } from '../errors.ts'
import { GENESIS, type AuditHead, type AuditProblem, type AuditRecord, type AuditVerification } from './AuditRecord.ts'
import { openAuditHead, openAuditRecord } from './auditRecordCodec.ts'

/** A stored record: the position its storage key names, and its bytes. */
export interface StoredAuditRecord {
  readonly position: number
  readonly bytes: Uint8Array
}

/**
 * Verifies a whole trail, in storage order: every record opens under the owner's key (else
 * `altered`), sits at the position it was signed for (else `reordered`), follows the previous one
 * without a gap (else `removed`) and names its hash as `prev` (else `altered`); then the signed
 * head (and `expectedHead`, an anchor kept elsewhere) must not point past the last record
 * (`removed`) nor at a different one (`altered`).
 */
export function verifyAuditTrail(
  stored: readonly StoredAuditRecord[],
  headBytes: Uint8Array | undefined,
  owner: { tenant: string; signingKey: Uint8Array },
  expectedHead?: AuditHead,
): { verification: AuditVerification; records: AuditRecord[] } {
  return verifyFrom(stored, headBytes, owner, expectedHead, { seq: 0, prev: GENESIS })
}

/**
 * Verifies the newest part of a trail, which starts at `start.seq` and follows the record whose
 * hash is `start.prev` (the first record of the part names it): the same checks as
 * {@link verifyAuditTrail} over that part. What came before it is not checked, so `start` must come
 * from the trail's owner (signed, for example, inside an entry of the owner's device).
 */
export function verifyAuditTrailPart(
  stored: readonly StoredAuditRecord[],
  headBytes: Uint8Array | undefined,
  owner: { tenant: string; signingKey: Uint8Array },
  start: { readonly seq: number; readonly prev: string },
): { verification: AuditVerification; records: AuditRecord[] } {
  return verifyFrom(stored, headBytes, owner, undefined, start)
}

function verifyFrom(
  stored: readonly StoredAuditRecord[],
  headBytes: Uint8Array | undefined,
  owner: { tenant: string; signingKey: Uint8Array },
  expectedHead: AuditHead | undefined,
  start: { readonly seq: number; readonly prev: string },
): { verification: AuditVerification; records: AuditRecord[] } {
  const records: AuditRecord[] = []
  const fail = (problem: AuditProblem, seq: number, why: string) => ({
    verification: {
      ok: false as const,
      error: new WeftError(ErrorCodes.AUDIT_TAMPERED, `audit trail of ${owner.tenant}: record ${seq} ${why}`),
      problem,
      seq,
    },
    records,
  })
  let prev = start.prev
  for (const s of stored) {
    const r = openAuditRecord(s.bytes, owner.signingKey)
    if (!r || r.tenant !== owner.tenant) return fail('altered', s.position, 'does not verify (altered or forged)')
    if (r.seq !== s.position) return fail('reordered', s.position, `holds record ${r.seq}`)
    if (s.position !== start.seq + records.length) return fail('removed', start.seq + records.length, 'is missing')
    if (r.prev !== prev) return fail('altered', s.position, 'does not follow the previous record')
    records.push(r)
    prev = r.hash
  }
  const heads: AuditHead[] = []
  if (headBytes) {
    const head = openAuditHead(headBytes, owner.tenant, owner.signingKey)
    if (!head) return fail('altered', start.seq + records.length, '(the signed head) does not verify')
    heads.push(head)
  }
  if (expectedHead) heads.push(expectedHead)
  const end = start.seq + records.length
  for (const h of heads) {
    if (h.seq >= end) return fail('removed', end, `is missing (the head names record ${h.seq})`)
    if (h.seq >= start.seq && records[h.seq - start.seq]!.hash !== h.hash)
      return fail('altered', h.seq, 'differs from the one the head names')
  }
  const last = records[records.length - 1]
  return {
    verification: { ok: true, records: end, head: last ? { seq: last.seq, hash: last.hash } : null },
    records,
  }
}
