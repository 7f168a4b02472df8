import { packHashes, unpackHashes, type ChangeHash, type Cursor } from '@weft/core/backend'
import type { Bodies } from '@weft/protocol'
import type { ServerConnection } from './ServerConnection.ts'

/** Hashes in a server's arrival order, with their arrival numbers in `epoch` when it named them. */
export interface Ordered {
  readonly hashes: ChangeHash[]
  readonly seqs?: number[]
  readonly epoch: string
}

/**
 * The given hashes database `db` on the server holds, in its arrival order: the server walks its
 * order a stretch per request (asked again from the start if its store started over between them).
 */
export async function serverOrder(
  connection: ServerConnection,
  db: string,
  hashes: readonly ChangeHash[],
): Promise<Ordered> {
  const found: ChangeHash[] = []
  const seqs: number[] = []
  let numbered = true
  let wanted = hashes
  let epoch = ''
  for (let since: Cursor | null = null; wanted.length;) {
    const r: Bodies['order']['res'] = await connection.db(db, 'order', {
      hashes: packHashes(wanted),
      since,
    })
    if (since && r.cursor.epoch !== since.epoch) return serverOrder(connection, db, hashes) // the server's store started over
    epoch = r.cursor.epoch
    const got = unpackHashes(r.hashes)
    found.push(...got)
    if (Array.isArray(r.seqs) && r.seqs.length === got.length && r.seqs.every(Number.isSafeInteger))
      seqs.push(...r.seqs)
    else numbered = false
    if (r.done) break
    const seen = new Set<string>(got)
    wanted = wanted.filter((h) => !seen.has(h))
    since = r.cursor
  }
  return numbered ? { hashes: found, seqs, epoch } : { hashes: found, epoch }
}
