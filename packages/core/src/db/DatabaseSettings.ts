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
  #cacheDocs: number | undefined
  #cacheBytes: number | undefined

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
    return this.#cacheDocs ?? DEFAULT_CACHE_SIZE
  }

  /** Estimated bytes of the documents kept materialised (unbounded unless chosen). */
  get cacheBytes(): number {
    return this.#cacheBytes ?? Infinity
  }

  /**
   * Checks `options` against what earlier calls chose and adopts what is new. Throws
   * `WEFT_DB_OPTIONS_CONFLICT` (changing nothing) when a given option differs from an earlier choice.
   */
  adopt(options: DatabaseOptions): void {
    const keyId = options.keyId === undefined ? undefined : asKeyId(options.keyId)
    const snapshotEvery = options.snapshotEvery === undefined ? undefined : Math.max(1, options.snapshotEvery)
    const { documents, bytes } = cacheBound(options.cacheSize)
    if (documents !== undefined && this.#cacheDocs !== undefined && documents !== this.#cacheDocs)
      throw this.#conflict('cacheSize.documents', this.#cacheDocs, documents)
    if (bytes !== undefined && this.#cacheBytes !== undefined && bytes !== this.#cacheBytes)
      throw this.#conflict('cacheSize.bytes', this.#cacheBytes, bytes)
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
    this.#cacheDocs ??= documents
    this.#cacheBytes ??= bytes
  }

  #conflict(option: string, settled: unknown, asked: unknown): WeftError {
    return new WeftError(
      ErrorCodes.DB_OPTIONS_CONFLICT,
      `database ${this.#db} is open with ${option} ${JSON.stringify(settled)}; this call asks for ${JSON.stringify(asked)}`,
    )
  }
}

/** The count and byte bounds an option names (a number is a count); `WEFT_INVALID_ARGUMENT` for one that is not a positive number. */
function cacheBound(option: DatabaseOptions['cacheSize']): { documents?: number; bytes?: number } {
  if (option === undefined) return {}
  const bound = typeof option === 'number' ? { documents: option } : option
  if (typeof bound !== 'object' || bound === null)
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'cacheSize must be a number or { documents?, bytes? }')
  const positive = (name: string, v: unknown): number | undefined => {
    if (v === undefined) return undefined
    if (typeof v !== 'number' || Number.isNaN(v) || v <= 0)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `cacheSize ${name} must be a positive number`)
    return Math.max(1, Math.floor(v))
  }
  return { documents: positive('documents', bound.documents), bytes: positive('bytes', bound.bytes) }
}
