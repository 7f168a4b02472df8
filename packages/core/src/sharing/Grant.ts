import type { PublicProfile } from '../tenant/index.ts'

/** What a grant lets the partner do: `read` receives the data, `write` also sends changes back. */
export type Permission = 'read' | 'write'

/** Every {@link Permission}. */
export const PERMISSIONS: readonly Permission[] = Object.freeze(['read', 'write'])

/** True for the {@link Permission} values. */
export function isPermission(value: unknown): value is Permission {
  return value === 'read' || value === 'write'
}

/** A value a grant filter compares a top-level document field with. */
export type FilterValue = string | number | boolean | null

/** A serialisable document filter: documents whose top-level fields equal these values. */
export interface GrantFilter {
  readonly where: Readonly<Record<string, FilterValue>>
}

/** Conditions every sync under a grant is checked against by the grant's issuer. */
export interface GrantConditions {
  /** Environments the partner may sync from; `null`: any. */
  readonly allowedEnvironments: readonly string[] | null
  /** Syncs that move data allowed under the grant; `null`: no limit. */
  readonly maxSyncs: number | null
  /** Nothing syncs until the issuer approves the grant. */
  readonly requiresApproval: boolean
}

/** The issuing tenant, as signed into a grant. */
export interface GrantSource {
  readonly tenantId: string
  /** Admin Ed25519 public key, base64url; it signs the grant. */
  readonly signingKey: string
}

/** The receiving tenant, as signed into a grant. */
export interface GrantPartner {
  readonly tenantId: string
  readonly signingKey: string
  /** X25519 key the grant's keys are sealed to, base64url. */
  readonly boxKey: string
}

/**
 * A signed statement by a source tenant: `partner` may receive (and, with `write`, send back)
 * the documents of `databases` that match `filter` and are encrypted under `keyIds`, under
 * `conditions`, from `issuedAt` until `expiresAt`. Plain JSON, so it can travel any way.
 */
/** What a grant allows and for how long: the part every grant record shares. */
export interface GrantTerms {
  /** The source's database names. */
  readonly databases: readonly string[]
  /** The source's key names the shared documents are encrypted under. */
  readonly keyIds: readonly string[]
  readonly filter: GrantFilter | null
  readonly permissions: readonly Permission[]
  readonly conditions: GrantConditions
  /** Issuer's clock, milliseconds since the epoch. */
  readonly issuedAt: number
  /** Issuer's clock; `null`: never expires. */
  readonly expiresAt: number | null
}

export interface Grant extends GrantTerms {
  readonly v: 1
  /** 128-bit random id, lowercase hex. */
  readonly id: string
  readonly source: GrantSource
  readonly partner: GrantPartner
  /** Source admin signature over every field above, base64url. */
  readonly signature: string
}

/**
 * What the source hands the partner: the grant, the source's signed profile (to trust its
 * signers) and the grant's keys sealed to the partner (base64url). While approval is pending the
 * keys are left out; they follow with the first approved sync.
 */
export interface GrantOffer {
  readonly v: 1
  readonly grant: Grant
  readonly sourceProfile: PublicProfile
  readonly keys: readonly string[]
}

/** True when the grant gives `permission`. */
export function hasPermission(grant: Grant, permission: Permission): boolean {
  return grant.permissions.includes(permission)
}
