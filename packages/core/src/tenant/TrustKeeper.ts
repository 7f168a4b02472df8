import { ErrorCodes, WeftError } from '../errors.ts'
import type { TenantId } from '../types.ts'
import { verifyProfile, type PublicProfile } from './PublicProfile.ts'
import type { TenantRecord } from './TenantRecord.ts'
import { TrustPolicy, type DbLinkSpec, type TrustCutoffs, type Vouches } from './TrustPolicy.ts'

/**
 * A tenant's {@link TrustPolicy} and who follows it: partners added and removed (saved in the
 * tenant's record), cut-offs and vouches set, and every change announced to the listeners (the
 * tenant's open databases, its presence).
 */
export class TrustKeeper {
  readonly policy: TrustPolicy
  readonly #tenantId: TenantId
  readonly #save: () => Promise<void>
  readonly #listeners = new Set<() => Promise<void>>()
  /** Counts trust changes, so a database that was opening while one happened retries its held entries. */
  #version = 0

  /** The trust of the tenant's record: its members and partners; `save` stores the record. */
  constructor(tenantId: TenantId, record: TenantRecord, save: () => Promise<void>) {
    this.#tenantId = tenantId
    this.#save = save
    this.policy = new TrustPolicy(tenantId, record.members)
    for (const p of record.partners) this.policy.setPartner(verifyProfile(p.profile), p.links)
  }

  /** How many times trust changed. */
  get version(): number {
    return this.#version
  }

  /** Subscribes to trust changes; returns an unsubscribe function. */
  onChange(listener: () => Promise<void>): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Announces a trust change to every listener, and waits for them. */
  async changed(): Promise<void> {
    this.#version++
    await Promise.all([...this.#listeners].map((l) => l()))
  }

  /** Trusts a partner's signers for the listed databases (replacing its links), saves, and announces it. */
  async addPartner(profile: PublicProfile, options: { dbs: readonly DbLinkSpec[] }): Promise<void> {
    const verified = verifyProfile(profile)
    if (verified.tenantId === this.#tenantId)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'a tenant cannot partner with itself')
    this.policy.setPartner(verified, options.dbs)
    await this.#save()
    await this.changed()
  }

  /** Stops trusting a partner, saving when it was one; true if it was. */
  async removePartner(tenantId: string): Promise<boolean> {
    const removed = this.policy.removePartner(tenantId as TenantId)
    if (removed) await this.#save()
    return removed
  }

  /** Replaces every cut-off (see {@link TrustPolicy.setCutoffs}) and announces it, unless none was or is in force. */
  async setCutoffs(cutoffs: TrustCutoffs): Promise<void> {
    if (cutoffs.size === 0 && this.policy.cutoffs().size === 0) return
    this.policy.setCutoffs(cutoffs)
    await this.changed()
  }

  /** Replaces every vouch (see {@link TrustPolicy.setVouches}) and announces it, unless none was or is in force. */
  async setVouches(vouches: Vouches): Promise<void> {
    if (vouches.size === 0 && this.policy.vouches().size === 0) return
    this.policy.setVouches(vouches)
    await this.changed()
  }
}
