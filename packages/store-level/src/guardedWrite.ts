import { ErrorCodes, WeftError } from '@weft/core'
import { storageCall } from './storageError.ts'
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
