import type { SigningKeyPair } from '../crypto/index.ts'
import type { AuditEvent, AuditSink } from '../sharing/index.ts'
import { Mutex, type KeyValueStore } from '../store/index.ts'
import { GENESIS, type AuditHead, type AuditQuery, type AuditRecord, type AuditVerification } from './AuditRecord.ts'
import { createAuditHead, createAuditRecord, openAuditHead, openAuditRecord } from './auditRecordCodec.ts'
import { verifyAuditTrail, type StoredAuditRecord } from './verifyAuditTrail.ts'

/** @internal What an audit log needs from its tenant. */
export interface AuditLogHost {
  readonly tenantId: string
  readonly signer: SigningKeyPair
  now(): number
  /** The key-value store the trail is kept in, and the prefix of this tenant's keys. */
  openRecords(): Promise<{ kv: KeyValueStore; prefix: string }>
}

/** A trail as {@link AuditLog.exportTrail} hands it out. */
export interface AuditTrailExport {
  readonly tenant: string
  /** The Ed25519 key the records and the head are signed with. */
  readonly signingKey: Uint8Array
  /** Oldest first; the newest ones only when a limit cut the trail. */
  readonly records: readonly StoredAuditRecord[]
  readonly head: Uint8Array | null
}

const POSITION_DIGITS = 12

/**
 * A tenant's audit trail (`tenant.audit`): an append-only log of share, accept, approve, revoke,
 * expire, sync and denied events. Each record is numbered, names the hash of the one before it and
 * is signed by the tenant's admin key; a signed head names the newest. {@link AuditLog.verify}
 * finds a removed, altered or reordered record. Kept in the tenant's storage, so it survives
 * restarts. Records are metadata (who, what, when, counts), stored signed but not encrypted.
 */
export class AuditLog implements AuditSink {
  readonly #host: AuditLogHost
  readonly #lock = new Mutex()
  #store: Promise<{ kv: KeyValueStore; prefix: string }> | undefined
  #tip: AuditHead | null | undefined

  /** @internal Use `tenant.audit`. */
  constructor(host: AuditLogHost) {
    this.#host = host
  }

  /** Appends an event; resolves with the signed record once it is stored. */
  record(event: AuditEvent): Promise<AuditRecord> {
    return this.#lock.run(async () => {
      const { kv, prefix } = await this.#open()
      const tip = (this.#tip ??= await this.#findTip(kv, prefix))
      const { record, bytes } = createAuditRecord(
        {
          seq: tip ? tip.seq + 1 : 0,
          at: this.#host.now(),
          tenant: this.#host.tenantId,
          action: event.action,
          partner: event.partner ?? null,
          databases: [...(event.databases ?? [])],
          grantId: event.grantId ?? null,
          relationshipId: event.relationshipId ?? null,
          code: event.code ?? null,
          sent: event.sent ?? 0,
          received: event.received ?? 0,
          detail: event.detail ?? null,
          prev: tip ? tip.hash : GENESIS,
        },
        this.#host.signer,
      )
      await kv.put(recordKey(prefix, record.seq), bytes)
      const head = { seq: record.seq, hash: record.hash }
      await kv.put(`${prefix}head`, createAuditHead(this.#host.tenantId, head, this.#host.signer))
      this.#tip = head
      return record
    })
  }

  /** Records that match every given filter, oldest first. Records that do not verify are left out (see {@link verify}). */
  async query(q: AuditQuery = {}): Promise<AuditRecord[]> {
    const actions = q.action === undefined ? undefined : new Set(typeof q.action === 'string' ? [q.action] : q.action)
    const out: AuditRecord[] = []
    for (const s of await this.#stored()) {
      const r = openAuditRecord(s.bytes, this.#host.signer.publicKey)
      if (!r || r.seq !== s.position) continue
      if (q.from !== undefined && r.at < q.from) continue
      if (q.to !== undefined && r.at >= q.to) continue
      if (q.partner !== undefined && r.partner !== q.partner) continue
      if (q.db !== undefined && !r.databases.includes(q.db)) continue
      if (actions && !actions.has(r.action)) continue
      if (q.grantId !== undefined && r.grantId !== q.grantId) continue
      if (q.relationshipId !== undefined && r.relationshipId !== q.relationshipId) continue
      out.push(r)
      if (q.limit !== undefined && out.length >= q.limit) break
    }
    return out
  }

  /**
   * Verifies the whole trail end to end. `expectedHead` is a head kept elsewhere (given to an
   * auditor or a partner earlier): the trail must still contain that exact record, which also
   * catches a trail rolled back to an older signed head.
   */
  async verify(options: { expectedHead?: AuditHead } = {}): Promise<AuditVerification> {
    const { kv, prefix } = await this.#open()
    const stored = await this.#stored()
    return verifyAuditTrail(
      stored,
      await kv.get(`${prefix}head`),
      { tenant: this.#host.tenantId, signingKey: this.#host.signer.publicKey },
      options.expectedHead,
    ).verification
  }

  /** Like {@link verify}, but rejects with `WEFT_AUDIT_TAMPERED`. */
  async verifyOrThrow(options: { expectedHead?: AuditHead } = {}): Promise<AuditHead | null> {
    const v = await this.verify(options)
    if (!v.ok) throw v.error
    return v.head
  }

  /**
   * The stored trail as it is, for a verifier elsewhere (`verifyAuditTrail`, or
   * `verifyAuditTrailPart` for the newest `limit` records): each record's bytes at its position,
   * the signed head, and the key that signs them. Nothing is checked or left out here, so an
   * altered record travels as it is and the verifier finds it.
   */
  async exportTrail(options: { limit?: number } = {}): Promise<AuditTrailExport> {
    const { kv, prefix } = await this.#open()
    let records = await this.#stored()
    if (options.limit !== undefined && records.length > options.limit) records = records.slice(-options.limit)
    const head = await kv.get(`${prefix}head`)
    return { tenant: this.#host.tenantId, signingKey: this.#host.signer.publicKey, records, head: head ?? null }
  }

  /** The newest record's position and hash (an anchor for {@link verify}), or null when empty. */
  async head(): Promise<AuditHead | null> {
    return this.#lock.run(async () => {
      const { kv, prefix } = await this.#open()
      return (this.#tip ??= await this.#findTip(kv, prefix))
    })
  }

  #open(): Promise<{ kv: KeyValueStore; prefix: string }> {
    this.#store ??= this.#host.openRecords().catch((err: unknown) => {
      this.#store = undefined
      throw err
    })
    return this.#store
  }

  async #stored(): Promise<StoredAuditRecord[]> {
    const { kv, prefix } = await this.#open()
    const out: StoredAuditRecord[] = []
    for (const key of await kv.keys(`${prefix}r/`)) {
      const bytes = await kv.get(key)
      const position = Number(key.slice(prefix.length + 2))
      if (bytes && Number.isSafeInteger(position)) out.push({ position, bytes })
    }
    return out.sort((a, b) => a.position - b.position)
  }

  /**
   * Where to append: the newer of the signed head and the last stored record (a crash may leave a
   * record past the head). Tampering does not stop appends; {@link verify} reports it.
   */
  async #findTip(kv: KeyValueStore, prefix: string): Promise<AuditHead | null> {
    const headBytes = await kv.get(`${prefix}head`)
    const head = headBytes ? openAuditHead(headBytes, this.#host.tenantId, this.#host.signer.publicKey) : undefined
    const keys = await kv.keys(`${prefix}r/`)
    const lastKey = keys[keys.length - 1]
    const lastBytes = lastKey ? await kv.get(lastKey) : undefined
    const last = lastBytes ? openAuditRecord(lastBytes, this.#host.signer.publicKey) : undefined
    if (last && (!head || last.seq > head.seq)) return { seq: last.seq, hash: last.hash }
    return head ?? null
  }
}

function recordKey(prefix: string, seq: number): string {
  return `${prefix}r/${seq.toString().padStart(POSITION_DIGITS, '0')}`
}
