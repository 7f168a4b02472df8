import { ErrorCodes, toWeftError, WeftError } from '../errors.ts'
import type { Emitter } from '../events.ts'
import { Mutex } from '../store/index.ts'
import type { DbName } from '../types.ts'
import type { DatabaseEvents } from './databaseTypes.ts'
import type { MaterialiseReport } from './MaterialiseReport.ts'

/** What a database lends its gate. */
export interface GateParts {
  readonly name: DbName
  readonly events: Emitter<DatabaseEvents>
  /** After every write: keeps the cache within its bound and persists what changed. */
  readonly settle: () => Promise<void>
}

/**
 * A database's lock and open state: its writes and materialisations run one at a time, each
 * followed by the cache settling, and none starts once the database is closed.
 */
export class DatabaseGate {
  readonly lock = new Mutex()
  readonly #p: GateParts
  #closed = false

  constructor(parts: GateParts) {
    this.#p = parts
  }

  /** Whether the database is closed. */
  get closed(): boolean {
    return this.#closed
  }

  /** Runs `fn` under the lock, then settles the cache; `WEFT_CLOSED` once the database is closed. */
  write<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(async () => {
      if (this.#closed) throw new WeftError(ErrorCodes.CLOSED, `database ${this.#p.name} is closed`)
      try {
        return await fn()
      } finally {
        await this.#p.settle()
      }
    })
  }

  /** Runs a materialisation under the lock and announces the documents it changed. */
  run(fn: () => Promise<MaterialiseReport>): Promise<MaterialiseReport> {
    return this.write(async () => {
      const report = await fn()
      if (report.docIds.length)
        this.#p.events.emit('docs-changed', { docIds: [...new Set(report.docIds)], source: 'received' })
      return report
    })
  }

  /** Runs a materialisation nobody waits for: a failure is reported as an `error` event, unless the database closed. */
  background(fn: () => Promise<MaterialiseReport>): Promise<void> {
    return this.run(fn).then(
      () => undefined,
      (error) => {
        if (!this.#closed) this.#p.events.emit('error', { error: toWeftError(error, ErrorCodes.STORAGE_ERROR) })
      },
    )
  }

  /** Closes the database under the lock: `fn` runs the first time only. */
  close(fn: () => Promise<void>): Promise<void> {
    return this.lock.run(async () => {
      if (this.#closed) return
      this.#closed = true
      await fn()
    })
  }
}
