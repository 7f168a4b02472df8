import { ErrorCodes, WeftError } from '../errors.ts'
import { DEFAULT_KEY_ID } from '../keys/index.ts'
import { asKeyId, type DbName, type KeyId } from '../types.ts'
import type { AttachmentSync } from './attachments/index.ts'
import type { DatabaseOptions } from './databaseTypes.ts'

const DEFAULT_SNAPSHOT_EVERY = 500
const DEFAULT_CACHE_SIZE = 1_000

/**
 * The options of one open database, and which of them a caller chose. A database is opened once
 * per tenant and shared by every `openDB` call (the app's, the orchestrator's, sharing's), so the
 * options are settled across calls: an option a call leaves out takes the value already settled
 * (or the default); an option a call gives is adopted if no call chose it before, and must equal
 * the earlier choice otherwise (`WEFT_DB_OPTIONS_CONFLICT`). So whichever opens first — the
 * orchestrator with no options, or the app with its named key — the app's key is the one new
 * documents go under, and two callers that disagree find out at once instead of one silently
 * losing.
 */
export class DatabaseSettings {
  readonly #db: DbName
  #keyId: KeyId | undefined
  #snapshotEvery: number | undefined
  #attachments: AttachmentSync | undefined
  #cacheSize: number | undefined

  constructor(db: DbName, options: DatabaseOptions) {
    this.#db = db
    this.adopt(options)
  }

  /** Key for new documents when `createDocument` names none. */
  get keyId(): KeyId {
    return this.#keyId ?? DEFAULT_KEY_ID
  }

  /** Local changes to a document between encrypted snapshots. */
  get snapshotEvery(): number {
    return this.#snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY
  }

  /** Whether pulls bring attachment chunks (`eager`, the default) or leave them to be fetched when read. */
  get attachments(): AttachmentSync {
    return this.#attachments ?? 'eager'
  }

  /** Documents kept materialised. */
  get cacheSize(): number {
    return this.#cacheSize ?? DEFAULT_CACHE_SIZE
  }

  /**
   * Checks `options` against what earlier calls chose and adopts what is new. Throws
   * `WEFT_DB_OPTIONS_CONFLICT` (changing nothing) when a given option differs from an earlier choice.
   */
  adopt(options: DatabaseOptions): void {
    const keyId = options.keyId === undefined ? undefined : asKeyId(options.keyId)
    const snapshotEvery = options.snapshotEvery === undefined ? undefined : Math.max(1, options.snapshotEvery)
    const cacheSize = options.cacheSize === undefined ? undefined : Math.max(1, Math.floor(options.cacheSize))
    if (cacheSize !== undefined && this.#cacheSize !== undefined && cacheSize !== this.#cacheSize)
      throw this.#conflict('cacheSize', this.#cacheSize, cacheSize)
    if (keyId !== undefined && this.#keyId !== undefined && keyId !== this.#keyId)
      throw this.#conflict('keyId', this.#keyId, keyId)
    if (snapshotEvery !== undefined && this.#snapshotEvery !== undefined && snapshotEvery !== this.#snapshotEvery) {
      throw this.#conflict('snapshotEvery', this.#snapshotEvery, snapshotEvery)
    }
    const attachments = options.attachments
    if (attachments !== undefined && attachments !== 'eager' && attachments !== 'lazy')
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `attachments must be 'eager' or 'lazy'`)
    if (attachments !== undefined && this.#attachments !== undefined && attachments !== this.#attachments)
      throw this.#conflict('attachments', this.#attachments, attachments)
    this.#attachments ??= attachments
    this.#keyId ??= keyId
    this.#snapshotEvery ??= snapshotEvery
    this.#cacheSize ??= cacheSize
  }

  #conflict(option: string, settled: unknown, asked: unknown): WeftError {
    return new WeftError(
      ErrorCodes.DB_OPTIONS_CONFLICT,
      `database ${this.#db} is open with ${option} ${JSON.stringify(settled)}; this call asks for ${JSON.stringify(asked)}`,
    )
  }
}
