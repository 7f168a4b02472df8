import type { SigningKeyPair } from './crypto/index.ts'
import { Database, type DatabaseOptions } from './db/index.ts'
import type { KeyBag } from './keys/index.ts'
import { dbIndexLocation, dbNameError, type TenantStorage, type TrustKeeper } from './tenant/index.ts'
import { asDbName, type DbName, type TenantId } from './types.ts'

/** What a tenant lends its databases. */
export interface TenantDatabasesParts {
  readonly tenantId: TenantId
  readonly signer: SigningKeyPair
  readonly keyBag: KeyBag
  readonly trust: TrustKeeper
  readonly storage: TenantStorage
  /** Loads the cut-offs of ended write grants with the grant records. */
  readonly loadTrust: () => Promise<void>
  /** Whether the tenant has a directory here, and loading it. */
  readonly hasDirectory: () => boolean
  readonly loadDirectory: () => Promise<void>
  /** Whether a device may take part in presence now. */
  readonly presenceAdmits: (key: Uint8Array) => boolean
}

/**
 * A tenant's databases: each opened once, by the first call for its name, and shared by every
 * call after it, which settles its options with the earlier ones.
 */
export class TenantDatabases {
  readonly #p: TenantDatabasesParts
  readonly #dbs = new Map<DbName, Promise<Database>>()

  constructor(parts: TenantDatabasesParts) {
    this.#p = parts
  }

  /** Opens (or returns the already open) database `name`; `WEFT_INVALID_ARGUMENT` for a name no database may have. */
  open(name: string, options: DatabaseOptions): Promise<Database> {
    const invalid = dbNameError(name)
    if (invalid) return Promise.reject(invalid)
    const dbName = asDbName(name)
    const open = this.#dbs.get(dbName)
    if (open) {
      return open.then((db) => {
        db.adoptOptions(options)
        return db
      })
    }
    const db = this.#openDatabase(dbName, options)
    this.#dbs.set(dbName, db)
    db.catch(() => this.#dbs.delete(dbName))
    return db
  }

  /**
   * Opens a database once every trust rule is in force (the cut-offs of ended write grants are
   * loaded with the grant records first), so it never materialises an entry it should hold.
   */
  async #openDatabase(dbName: DbName, options: DatabaseOptions): Promise<Database> {
    const { tenantId, signer, keyBag, trust, storage } = this.#p
    await this.#p.loadTrust()
    if (this.#p.hasDirectory()) await this.#p.loadDirectory()
    const store = await storage.changeStore(dbName)
    const index = await storage.keyValueStore('weft-db-index')
    const trustVersion = trust.version
    const db = await Database.open(
      {
        tenantId,
        signer,
        keyBag,
        trust: trust.policy,
        mayWrite: () => trust.policy.isMember(signer.publicKey),
        presenceAdmits: (key) => this.#p.presenceAdmits(key),
        onTrustChange: (l) => trust.onChange(l),
        index: { kv: index, ...dbIndexLocation(tenantId, dbName, signer) },
      },
      store,
      dbName,
      options,
    )
    // Trust changed while it loaded, before it listened: retry what it held.
    if (trust.version !== trustVersion) await db.retryHeld()
    return db
  }

  /** The names of the databases opened or opening. */
  names(): DbName[] {
    return [...this.#dbs.keys()]
  }

  /** Closes every database opened, and forgets them. */
  async close(): Promise<void> {
    const dbs = await Promise.allSettled(this.#dbs.values())
    for (const d of dbs) if (d.status === 'fulfilled') await d.value.close()
    this.#dbs.clear()
  }
}
