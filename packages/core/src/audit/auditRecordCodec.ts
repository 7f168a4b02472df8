import { ByteWriter, fromHex, packValue, toBase64Url, toHex, unpackValue } from '../codec/index.ts'
import { blake2b256, Domain, signDetached, verifyDetached, type SigningKeyPair } from '../crypto/index.ts'
import { isAuditAction } from '../sharing/index.ts'
import type { AuditHead, AuditRecord } from './AuditRecord.ts'

/** A record before it is signed. */
export type AuditRecordBody = Omit<AuditRecord, 'hash' | 'signature'>

const MAX_RECORD_BYTES = 64 * 1024
const HEX64 = /^[0-9a-f]{64}$/

function opt(w: ByteWriter, v: string | null): void {
  if (v === null) w.u8(0)
  else w.u8(1).string(v)
}

/** The canonical bytes a record's signature covers. */
export function auditRecordBytes(r: AuditRecordBody): Uint8Array {
  const w = new ByteWriter(256)
    .string('weft-audit-record')
    .varint(1)
    .varint(r.seq)
    .varint(r.at)
    .string(r.tenant)
    .string(r.action)
  opt(w, r.partner)
  w.varint(r.databases.length)
  for (const d of r.databases) w.string(d)
  opt(w, r.grantId)
  opt(w, r.relationshipId)
  opt(w, r.code)
  w.varint(r.sent).varint(r.received)
  opt(w, r.detail)
  return w.fixed(fromHex(r.prev)).finish()
}

function recordHash(signed: Uint8Array, signature: Uint8Array): string {
  const both = new Uint8Array(signed.length + signature.length)
  both.set(signed)
  both.set(signature, signed.length)
  return toHex(blake2b256(both))
}

/** Signs a record and returns it with the bytes to store. */
export function createAuditRecord(
  body: AuditRecordBody,
  signer: SigningKeyPair,
): { record: AuditRecord; bytes: Uint8Array } {
  const signed = auditRecordBytes(body)
  const sig = signDetached(Domain.auditRecord, signed, signer.privateKey)
  const record: AuditRecord = { ...body, hash: recordHash(signed, sig), signature: toBase64Url(sig) }
  const { hash: _hash, signature: _signature, ...stored } = record
  return { record, bytes: packValue({ v: 1, ...stored, sig }) }
}

/**
 * Decodes stored record bytes and checks the signature with the trail owner's key. Returns
 * `undefined` when the bytes do not parse or the signature does not verify (an altered record).
 */
export function openAuditRecord(bytes: Uint8Array, signingKey: Uint8Array): AuditRecord | undefined {
  let v: AuditRecordBody & { v: number; sig: Uint8Array }
  try {
    v = unpackValue(bytes, MAX_RECORD_BYTES)
  } catch {
    return undefined
  }
  if (
    v?.v !== 1 ||
    !Number.isSafeInteger(v.seq) ||
    v.seq < 0 ||
    !Number.isSafeInteger(v.at) ||
    v.at < 0 ||
    typeof v.tenant !== 'string' ||
    !isAuditAction(v.action) ||
    !optString(v.partner) ||
    !Array.isArray(v.databases) ||
    !v.databases.every((d) => typeof d === 'string') ||
    !optString(v.grantId) ||
    !optString(v.relationshipId) ||
    !optString(v.code) ||
    !Number.isSafeInteger(v.sent) ||
    v.sent < 0 ||
    !Number.isSafeInteger(v.received) ||
    v.received < 0 ||
    !optString(v.detail) ||
    typeof v.prev !== 'string' ||
    !HEX64.test(v.prev) ||
    !(v.sig instanceof Uint8Array)
  ) {
    return undefined
  }
  const body: AuditRecordBody = {
    seq: v.seq,
    at: v.at,
    tenant: v.tenant,
    action: v.action,
    partner: v.partner,
    databases: v.databases,
    grantId: v.grantId,
    relationshipId: v.relationshipId,
    code: v.code,
    sent: v.sent,
    received: v.received,
    detail: v.detail,
    prev: v.prev,
  }
  const signed = auditRecordBytes(body)
  if (!verifyDetached(Domain.auditRecord, signed, v.sig, signingKey)) return undefined
  return { ...body, hash: recordHash(signed, v.sig), signature: toBase64Url(v.sig) }
}

function optString(v: unknown): v is string | null {
  return v === null || typeof v === 'string'
}

function headBytes(tenant: string, head: AuditHead): Uint8Array {
  return new ByteWriter(96).string('weft-audit-head').string(tenant).varint(head.seq).fixed(fromHex(head.hash)).finish()
}

/** Signs the trail's head. */
export function createAuditHead(tenant: string, head: AuditHead, signer: SigningKeyPair): Uint8Array {
  return packValue({
    v: 1,
    seq: head.seq,
    hash: head.hash,
    sig: signDetached(Domain.auditHead, headBytes(tenant, head), signer.privateKey),
  })
}

/** Decodes and checks a signed head; `undefined` when it does not verify. */
export function openAuditHead(bytes: Uint8Array, tenant: string, signingKey: Uint8Array): AuditHead | undefined {
  let v: { v: number; seq: number; hash: string; sig: Uint8Array }
  try {
    v = unpackValue(bytes, 1024)
  } catch {
    return undefined
  }
  if (
    v?.v !== 1 ||
    !Number.isSafeInteger(v.seq) ||
    v.seq < 0 ||
    typeof v.hash !== 'string' ||
    !HEX64.test(v.hash) ||
    !(v.sig instanceof Uint8Array)
  ) {
    return undefined
  }
  const head = { seq: v.seq, hash: v.hash }
  return verifyDetached(Domain.auditHead, headBytes(tenant, head), v.sig, signingKey) ? head : undefined
}
