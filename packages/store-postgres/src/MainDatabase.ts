import type { Pool } from 'pg'
import { Identifiers } from './identifiers.ts'
import { poolFor, prepareMainDatabase } from './locations.ts'
import { storageCall } from './pgError.ts'
import { createPool } from './pool.ts'

/** The main database's name and the role shared-table queries run as. */
export interface MainDatabaseInfo {
  readonly mainDb: string
  readonly appRole: string
}

/**
 * The main database of a `PostgresStoreFactory`: its pool, migrated once on first use, the
 * separate pool the server records' locks are held on, and pools on the databases of the same
 * server (tenants of the `database` model), each at most `max` connections.
 */
export class MainDatabase {
  readonly pool: Pool
  readonly #url: string
  readonly #max: number
  /** Connections that hold the server records' locks (see `PostgresServerRecords.exclusive`), made on first use. */
  #lockPool: Pool | undefined
  #ready: Promise<MainDatabaseInfo> | undefined

  constructor(url: string, max: number) {
    this.#url = url
    this.#max = max
    this.pool = createPool(url, max)
  }

  /** Migrates the main database once (again after a failed start); resolves to its name and role. */
  ready(): Promise<MainDatabaseInfo> {
    if (!this.#ready) {
      const starting = storageCall('opening PostgreSQL', async () => {
        const { rows } = await this.pool.query<{ db: string }>('SELECT current_database() AS db')
        const mainDb = rows[0]!.db
        const appRole = Identifiers.appRole(mainDb)
        await prepareMainDatabase(this.pool, appRole)
        return { mainDb, appRole }
      })
      this.#ready = starting
      // A failed start (server down) may succeed later: do not keep the failure.
      starting.catch(() => void (this.#ready === starting && (this.#ready = undefined)))
    }
    return this.#ready
  }

  /** The pool lock connections come from: as large as the main pool, apart from it. */
  locks(): Pool {
    if (!this.#lockPool) {
      this.#lockPool = createPool(this.#url, this.#max)
    }
    return this.#lockPool
  }

  /** A new pool on another database of the same server, as the same user; the caller ends it. */
  poolOn(database: string): Pool {
    return poolFor(this.#url, database, this.#max)
  }

  /** Waits for a start under way, then ends the lock pool and the main pool. */
  async end(): Promise<void> {
    await this.#ready?.catch(() => undefined)
    await this.#lockPool?.end()
    await this.pool.end()
  }
}
