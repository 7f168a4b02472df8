import {
  asTenantId,
  ErrorCodes,
  WeftError,
  type ChangeStore,
  type SyncAuthority,
  type SyncPeer,
  type TenantId,
} from '@weft/core/backend'
import { RemoteChangeStore } from '../RemoteChangeStore.ts'
import { RelayAuthority } from './RelayAuthority.ts'
import type { RelaySpace } from './RelaySpace.ts'

/**
 * The other tenant of a grant, reached through the grant's relay space: a {@link SyncPeer} for
 * `MultiTenantSyncOrchestrator.addRelationship`. Its databases are the space's copies of the
 * granted databases (named as the issuer names them), as bare stores: the local tenant's
 * relationship pushes its entries there and pulls the other tenant's from there, and the other
 * tenant's process does the same on its side.
 */
export class RelayPeer implements SyncPeer {
  readonly id: TenantId
  readonly grantId: string
  readonly syncAuthority: SyncAuthority
  readonly #space: RelaySpace
  readonly #databases: readonly string[]
  readonly #stores = new Map<string, RemoteChangeStore>()

  constructor(space: RelaySpace, other: string, databases: readonly string[]) {
    this.id = asTenantId(other)
    this.grantId = space.grantId
    this.#space = space
    this.#databases = databases
    this.syncAuthority = new RelayAuthority(space)
  }

  /** The space's copy of granted database `name`; `WEFT_PERMISSION_DENIED` for any other name. */
  async openDB(name: string): Promise<ChangeStore> {
    if (!this.#databases.includes(name)) {
      throw new WeftError(
        ErrorCodes.PERMISSION_DENIED,
        `grant ${this.grantId} does not cover database ${name} (it covers ${this.#databases.join(', ')})`,
      )
    }
    let store = this.#stores.get(name)
    if (!store || store.closed)
      this.#stores.set(name, (store = new RemoteChangeStore({ connection: this.#space.connection, db: name })))
    return store
  }

  /** Closes the stores it opened. */
  async close(): Promise<void> {
    await Promise.all([...this.#stores.values()].map((s) => s.close()))
    this.#stores.clear()
  }
}
