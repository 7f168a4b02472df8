import { ErrorCodes, WeftError } from '@weft/core'
import { storageCall } from './storageError.ts'
import type { BatchOperation } from 'level'
import type { LevelDatabase } from './StoreLayout.ts'

/**
 * Databases a write failed on since they were opened. LevelDB does not stop after a failed log
 * write (only after a failed sync): the log may end in a torn record, and records written after
 * it can be dropped with it when the log is replayed. So after a failure every later write is
 * refused until the database is closed and opened again, which replays the log cleanly.
 */
const failed = new WeakSet<LevelDatabase>()

/** Errors raised before anything reached the disk, which leave the log as it was. */
const NOTHING_WRITTEN = /^LEVEL_(DATABASE_NOT_OPEN|ENCODING_|INVALID_|NOT_SUPPORTED)/

/** Runs one write to `db`, refusing it after an earlier failed write and typing its failure. */
export async function guardedWrite(db: LevelDatabase, what: string, write: () => Promise<void>): Promise<void> {
  if (failed.has(db)) {
    throw new WeftError(
      ErrorCodes.STORAGE_ERROR,
      `${what}: an earlier write to this database failed; close and reopen it before writing again`,
    )
  }
  return storageCall(what, async () => {
    try {
      await write()
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (!(typeof code === 'string' && NOTHING_WRITTEN.test(code)) && !failed.has(db)) {
        failed.add(db)
        db.once('closed', () => failed.delete(db))
      }
      throw err
    }
  })
}

/** An operation of a batch on a Weft database, in any of its sublevels. */
export type BatchOp = BatchOperation<LevelDatabase, string, string | Uint8Array>

const SYNC = Object.freeze({ sync: true })

/**
 * Writes `ops` to `db` as one atomic batch, flushed to disk before it resolves when `sync`.
 * Passes no options unless `sync`: abstract-level copies a batch's options into each of its
 * operations, and V8 then prepares a large batch several times more slowly. With `{ sync: false }`
 * a batch of 3,000 puts took 20 to 45 ms of the caller's thread, against 2.3 ms with no options;
 * a synced write waits for the disk far longer than that.
 */
export function writeBatch(db: LevelDatabase, ops: BatchOp[], sync: boolean): Promise<void> {
  return sync ? db.batch(ops, SYNC) : db.batch(ops)
}
