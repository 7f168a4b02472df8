/** A member's role in a tenant: admins change the directory, writers write, readers only read. */
export type Role = 'admin' | 'writer' | 'reader'

/** Every role, strongest first. */
export const ROLES: readonly Role[] = ['admin', 'writer', 'reader']

/** True for a valid {@link Role}. */
export function isRole(value: unknown): value is Role {
  return value === 'admin' || value === 'writer' || value === 'reader'
}

/** True when a member with this role may write to the tenant's databases. */
export function canWrite(role: Role): boolean {
  return role !== 'reader'
}
