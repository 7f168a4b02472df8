import type { Pool } from 'pg'
import { ErrorCodes, WeftError } from '@weft/core/backend'
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
 * separate pool of connections that keep a session (the server records' locks, the lock that
 * orders database creation), and pools on the databases of the same server (tenants of the
 * `database` model), each at most `max` connections.
 *
 * The session pool connects to `sessionUrl` (default `url`): behind a pooler in transaction mode,
 * `url` goes through the pooler and `sessionUrl` must reach the same database with a session of
 * its own (directly, or through the pooler in session mode). The first start checks that it does.
 */
export class MainDatabase {
  readonly pool: Pool
  readonly #url: string
  readonly #sessionUrl: string
  readonly #max: number
  /** Connections that keep a session: the server records' locks (see `PostgresServerRecords.exclusive`), made on first use. */
  #lockPool: Pool | undefined
  #ready: Promise<MainDatabaseInfo> | undefined

  constructor(url: string, max: number, sessionUrl: string = url) {
    this.#url = url
    this.#sessionUrl = sessionUrl
    this.#max = max
    this.pool = createPool(url, max)
  }

  /** The URL of connections that must keep a session of their own (locks, `LISTEN`). */
  get sessionUrl(): string {
    return this.#sessionUrl
  }

  /** Migrates the main database once (again after a failed start); resolves to its name and role. */
  ready(): Promise<MainDatabaseInfo> {
    if (!this.#ready) {
      const starting = storageCall('opening PostgreSQL', async () => {
        const { rows } = await this.pool.query<{ db: string }>('SELECT current_database() AS db')
        const mainDb = rows[0]!.db
        const appRole = Identifiers.appRole(mainDb)
        await prepareMainDatabase(this.pool, appRole)
        if (this.#sessionUrl !== this.#url) await this.#checkSessionReachesMain()
        return { mainDb, appRole }
      })
      this.#ready = starting
      // A failed start (server down) may succeed later: do not keep the failure.
      starting.catch(() => void (this.#ready === starting && (this.#ready = undefined)))
    }
    return this.#ready
  }

  /** The pool session connections come from: as large as the main pool, apart from it. */
  locks(): Pool {
    if (!this.#lockPool) {
      this.#lockPool = createPool(this.#sessionUrl, this.#max)
    }
    return this.#lockPool
  }

  /**
   * Fails unless a session connection is a backend of the main database's own server and
   * database: locks taken elsewhere would order nothing. The main pool must see the session's
   * backend, by its pid, in `pg_stat_activity` on the same database.
   */
  async #checkSessionReachesMain(): Promise<void> {
    const session = await this.locks().connect()
    try {
      const { rows } = await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
      const seen = await this.pool.query(
        'SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND datname = current_database()',
        [rows[0]!.pid],
      )
      if (!seen.rowCount)
        throw new WeftError(
          ErrorCodes.INVALID_ARGUMENT,
          'sessionUrl reaches another PostgreSQL server or database than url: its locks would order nothing',
        )
    } finally {
      session.release()
    }
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
