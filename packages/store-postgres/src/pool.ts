import pg from 'pg'
import type { Pool } from 'pg'

const ignore = (): void => {}

/**
 * A connection pool that a lost connection cannot crash the process through.
 *
 * node-postgres emits `error` on a client whose connection ends unexpectedly (PostgreSQL
 * restarted, a backend terminated, the network cut). The pool listens while a client is idle but
 * not while it is checked out, and an `error` event with no listener is thrown out of the socket
 * handler as an uncaught exception. Every client this pool makes therefore keeps a listener of
 * its own for its whole life; the failure still reaches whoever holds the client, as the
 * rejection of its query, and the pool discards the broken client on release.
 */
export function createPool(connectionString: string, max: number): Pool {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 10_000 })
  pool.on('error', ignore)
  pool.on('connect', (client) => client.on('error', ignore))
  return pool
}
