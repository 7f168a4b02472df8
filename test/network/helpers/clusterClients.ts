import { expect } from 'vitest'
import { RemoteChangeStore, ServerConnection } from '@weft/client'
import { adminQuery } from '../../../packages/store-postgres/test/helpers/pgDatabase.ts'
import type { Device } from './devices.ts'

/** `d`'s database on the server at `url` (then the others of `failoverUrls`), signed in there with its own key. */
export function remoteAt(d: Device, url: string, failoverUrls: readonly string[] = []): RemoteChangeStore {
  const connection = new ServerConnection({ url, failoverUrls, tenant: d.connection.tenant, key: d.key })
  return new RemoteChangeStore({ connection, db: d.remote.db })
}

/**
 * Checks that every store in the PostgreSQL database `dbName` holds each entry once, numbered
 * 1..n without gaps; returns the entries of all stores together.
 */
export async function storedExactlyOnce(dbName: string): Promise<number> {
  const { rows } = await adminQuery<{ n: string; hashes: string; lo: string; hi: string }>(
    `SELECT count(*) AS n, count(DISTINCT hash) AS hashes, min(seq) AS lo, max(seq) AS hi
     FROM weft_entries GROUP BY tenant_id, store`,
    [],
    dbName,
  )
  let total = 0
  for (const r of rows) {
    expect(Number(r.hashes)).toBe(Number(r.n))
    expect([Number(r.lo), Number(r.hi)]).toEqual([1, Number(r.n)])
    total += Number(r.n)
  }
  return total
}
