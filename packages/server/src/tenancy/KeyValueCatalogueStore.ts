import {
  ErrorCodes,
  packValue,
  readRecordPage,
  unpackValue,
  WeftError,
  type CatalogueRow,
  type KeyValueStore,
  type TenantCatalogueStore,
} from '@weft/core/backend'

/** Where each tenant's row is kept. */
export const CATALOGUE_PREFIX = 'catalogue/'
/** An empty marker per tenant being deleted or held for a move, so finding them reads only them. */
const PENDING_PREFIX = 'catalogue-pending/'
/** Set once the markers of rows written before they existed were made. */
const PENDING_INDEXED = 'catalogue-meta/pending-indexed'
/** Largest stored row read back (a row is bounded far below this by the admin API's parsers). */
const MAX_ROW_BYTES = 1 << 20
const STATUSES: readonly string[] = ['active', 'suspended', 'deleting']

/**
 * The tenant catalogue as records of the server's key-value store (LevelDB, IndexedDB, memory):
 * `catalogue/<id>`, one MessagePack record per tenant, in the layout the server always wrote, and
 * a marker beside each tenant being deleted or moved. Pages read `entries` of the prefix, not
 * every key.
 */
export class KeyValueCatalogueStore implements TenantCatalogueStore {
  readonly #kv: KeyValueStore

  private constructor(kv: KeyValueStore) {
    this.#kv = kv
  }

  /** The catalogue in `kv`; the first open after an upgrade marks the pending rows written before markers existed. */
  static async open(kv: KeyValueStore): Promise<KeyValueCatalogueStore> {
    const store = new KeyValueCatalogueStore(kv)
    if ((await kv.get(PENDING_INDEXED)) === undefined) {
      for (let after: string | undefined; ;) {
        const page = await readRecordPage(kv, CATALOGUE_PREFIX, { ...(after ? { after } : {}), limit: 500 })
        for (const [, bytes] of page) await store.#mark(decodeRow(bytes))
        if (page.length < 500) break
        after = page.at(-1)![0]
      }
      await kv.put(PENDING_INDEXED, new Uint8Array([1]))
    }
    return store
  }

  async get(id: string): Promise<CatalogueRow | undefined> {
    const raw = await this.#kv.get(CATALOGUE_PREFIX + id)
    return raw && decodeRow(raw)
  }

  async put(row: CatalogueRow, options: { keepNewer?: boolean } = {}): Promise<void> {
    if (options.keepNewer) {
      const now = await this.get(row.id)
      if (now && now.updatedAt > row.updatedAt) return
    }
    await this.#kv.put(CATALOGUE_PREFIX + row.id, packValue({ v: 1, ...row }))
    await this.#mark(row)
  }

  async delete(id: string): Promise<void> {
    await this.#kv.delete(CATALOGUE_PREFIX + id)
    await this.#kv.delete(PENDING_PREFIX + id)
  }

  async page(after: string | undefined, limit: number): Promise<CatalogueRow[]> {
    const page = await readRecordPage(this.#kv, CATALOGUE_PREFIX, {
      ...(after !== undefined ? { after: CATALOGUE_PREFIX + after } : {}),
      limit,
    })
    return page.map(([, bytes]) => decodeRow(bytes))
  }

  async pending(limit: number): Promise<string[]> {
    const page = await readRecordPage(this.#kv, PENDING_PREFIX, { limit })
    return page.map(([k]) => k.slice(PENDING_PREFIX.length))
  }

  async #mark(row: CatalogueRow): Promise<void> {
    if (row.status === 'deleting' || row.moving !== undefined)
      await this.#kv.put(PENDING_PREFIX + row.id, new Uint8Array())
    else await this.#kv.delete(PENDING_PREFIX + row.id)
  }
}

/** A stored row; rows written before `adopted` was always set, or with `Infinity` quotas, read as rows of now. */
export function decodeRow(bytes: Uint8Array): CatalogueRow {
  const r = unpackValue<Record<string, unknown>>(bytes, MAX_ROW_BYTES)
  if (
    r?.v !== 1 ||
    typeof r.id !== 'string' ||
    typeof r.name !== 'string' ||
    typeof r.isolation !== 'string' ||
    !STATUSES.includes(r.status as string) ||
    !Number.isSafeInteger(r.createdAt) ||
    !Number.isSafeInteger(r.updatedAt) ||
    (r.moving !== undefined && typeof r.moving !== 'string')
  ) {
    throw new WeftError(ErrorCodes.STORAGE_ERROR, 'a tenant record of the server does not parse')
  }
  const quotas = Object.fromEntries(
    Object.entries(objectOr(r.quotas)).map(([k, v]) => [k, v === Infinity ? null : (v as number | null)]),
  )
  return {
    id: r.id,
    name: r.name,
    isolation: r.isolation,
    status: r.status as CatalogueRow['status'],
    createdAt: r.createdAt as number,
    updatedAt: r.updatedAt as number,
    quotas,
    config: objectOr(r.config),
    flags: objectOr(r.flags) as Record<string, boolean>,
    adopted: r.adopted === true,
    ...(typeof r.moving === 'string' ? { moving: r.moving } : {}),
  }
}

function objectOr(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}
