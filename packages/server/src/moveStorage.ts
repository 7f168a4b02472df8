import { ready, type ChangeHash, type ChangeStore, type ErrorCode, type KeyValueStore } from '@weft/core/backend'

/** Where {@link moveStorage} reads: a backend that can list its stores (a `LevelStoreFactory`). */
export interface StorageSource {
  listStores(): Promise<{ readonly changeStores: readonly string[]; readonly recordStores: readonly string[] }>
  openChangeStore(name: string): Promise<ChangeStore>
  openKeyValueStore(name: string): Promise<KeyValueStore>
}

/** Where {@link moveStorage} writes: a backend whose new stores can take a given epoch (a `PostgresStoreFactory`). */
export interface StorageTarget {
  openChangeStore(name: string, options?: { epoch?: string }): Promise<ChangeStore>
  openKeyValueStore(name: string): Promise<KeyValueStore>
}

/** Options of {@link moveStorage}. */
export interface MoveOptions {
  readonly log?: (line: string) => void
  /**
   * The tenant that change stores from before tenancy (named without a tenant, `<db>` instead of
   * `<tenant>/<db>`) are moved into, as `<defaultTenant>/<db>`. Default `default`, the server's
   * default tenant.
   */
  readonly defaultTenant?: string
}

/** What a move copied, and what it refused. */
export interface MoveReport {
  readonly changeStores: number
  /** Entries the target took now (entries it held already are not counted again). */
  readonly entries: number
  readonly records: number
  /** Entries that failed verification on the way, and were not copied. */
  readonly rejected: { readonly store: string; readonly hash: ChangeHash; readonly code: ErrorCode }[]
  /** Stores the target held already under another epoch (their readers' cursors start over). */
  readonly epochChanged: string[]
  /** Change stores from before tenancy, each with the name it has in the target (in the default tenant). */
  readonly adopted: { readonly from: string; readonly to: string }[]
}

const PAGE = 1_000

/**
 * Copies a server's whole storage from one backend to another: every change store in arrival
 * order, each entry verified again by the target as it is appended (content hash, structure,
 * signature: bytes from disk are not trusted more than bytes from the network), and every record
 * store (members, usage, mailboxes, the server's identity) as it is. A new target store takes the
 * source's epoch, and the entries keep their arrival numbers, so clients' cursors go on where they
 * were. Running it again copies only what is missing. Stop the source server first: writes made
 * during the move may be left behind. A change store named without a tenant (from before tenancy)
 * lands in the default tenant (`options.defaultTenant`).
 */
export async function moveStorage(
  from: StorageSource,
  to: StorageTarget,
  options: MoveOptions = {},
): Promise<MoveReport> {
  await ready()
  const log = options.log ?? (() => {})
  const { changeStores, recordStores } = await from.listStores()
  const rejected: { store: string; hash: ChangeHash; code: ErrorCode }[] = []
  const epochChanged: string[] = []
  const adopted: { from: string; to: string }[] = []
  const defaultTenant = options.defaultTenant ?? 'default'
  let entries = 0
  let records = 0
  for (const name of changeStores) {
    const source = await from.openChangeStore(name)
    const { epoch } = await source.head()
    const targetName = name.includes('/') ? name : `${defaultTenant}/${name}`
    if (targetName !== name) adopted.push({ from: name, to: targetName })
    const target = await to.openChangeStore(targetName, { epoch })
    if ((await target.head()).epoch !== epoch) epochChanged.push(targetName)
    let copied = 0
    for (let cursor = null as Parameters<ChangeStore['scan']>[0]; ;) {
      const page = await source.scan(cursor, { limit: PAGE })
      const hashes = page.entries.map((e) => e.hash)
      if (hashes.length) {
        const result = await target.appendMany(await source.getChanges(hashes))
        copied += result.added.length
        for (const r of result.rejected) rejected.push({ store: targetName, hash: r.hash, code: r.error.code })
      }
      cursor = page.cursor
      if (page.done) break
    }
    entries += copied
    log(`${targetName}: ${copied} entries`)
  }
  for (const name of recordStores) {
    const source = await from.openKeyValueStore(name)
    const target = await to.openKeyValueStore(name)
    const keys = await source.keys()
    for (const key of keys) {
      const value = await source.get(key)
      if (value !== undefined) await target.put(key, value)
    }
    records += keys.length
    log(`${name}: ${keys.length} records`)
  }
  return { changeStores: changeStores.length, entries, records, rejected, epochChanged, adopted }
}
