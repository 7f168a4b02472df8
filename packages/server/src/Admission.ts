import type { KeyStanding, MemberRegistry } from './MemberRegistry.ts'
import type { TenantDirectory } from './TenantDirectory.ts'

/**
 * Who may use the server for a tenant: the keys its admin registered (signed registrations) and
 * the devices of its directory (signed records, folded from the tenant's root key). A key either
 * revokes is `revoked`; a device the directory lists as a reader's is `reader` (it may sign in and
 * read, not push); otherwise a key either admits is a `member`.
 */
export class Admission {
  readonly #registry: MemberRegistry
  readonly #directory: TenantDirectory

  constructor(registry: MemberRegistry, directory: TenantDirectory) {
    this.#registry = registry
    this.#directory = directory
  }

  /** What `key` (base64url) is to `tenant` now. */
  async standing(tenant: string, key: string, now = Date.now()): Promise<KeyStanding> {
    const registered = await this.#registry.standing(tenant, key, now)
    if (registered === 'revoked') return 'revoked'
    const keys = await this.#registry.keys(tenant)
    if (!keys) return registered
    const listed = await this.#directory.standing(tenant, keys.root, key)
    return listed ?? registered
  }

  /** When `key`'s membership of `tenant` runs out, if it does: never for a device the directory admits. */
  async until(tenant: string, key: string): Promise<number | undefined> {
    const keys = await this.#registry.keys(tenant)
    if (keys && (await this.#directory.standing(tenant, keys.root, key)) !== undefined) return undefined
    return this.#registry.until(tenant, key)
  }
}
