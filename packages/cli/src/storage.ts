import { verifyEntry, type ChangeStore, type Cursor, type KeyValueStore, type StoreFactory } from '@weft/core/backend'
import { LevelStoreFactory } from '@weft/store-level'
import { PostgresStoreFactory } from '@weft/store-postgres'

/** What a store check found (see {@link CliStorage.checkIntegrity}). */
export interface StoreCheck {
  readonly entries: number
  readonly problems: string[]
}

/**
 * Where the CLI keeps a tenant's data: a LevelDB folder, or a PostgreSQL database (a
 * `postgres://` or `postgresql://` URL in place of the folder).
 */
export interface CliStorage extends StoreFactory {
  /** The change store names that start with `prefix`, sorted. */
  changeStoreNames(prefix: string): Promise<string[]>
  openChangeStore(name: string): Promise<ChangeStore>
  openKeyValueStore(name: string): Promise<KeyValueStore>
  /** Checks one store: every entry re-hashed and its signature verified, arrival numbers 1..n without gaps. */
  checkIntegrity(name: string): Promise<StoreCheck>
}

/** Whether `location` names a PostgreSQL database rather than a folder. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location)
}

/** The storage at `location`: PostgreSQL for a `postgres://` URL, else a LevelDB folder. */
export function openStorage(location: string): CliStorage {
  return isPostgresUrl(location) ? postgresStorage(location) : levelStorage(location)
}

function levelStorage(path: string): CliStorage {
  const level = new LevelStoreFactory({ path, sync: true })
  const check = level.checkIntegrity.bind(level)
  return Object.assign(level, {
    async checkIntegrity(name: string): Promise<StoreCheck> {
      const r = await check(name, { verifyEntries: true })
      return { entries: r.entries, problems: r.problems }
    },
  })
}

function postgresStorage(url: string): CliStorage {
  // Behind a pooler in transaction mode, the locks (creating a tenant database) need a session.
  const sessionUrl = process.env.WEFT_POSTGRES_SESSION_URL
  const pg = new PostgresStoreFactory({ url, maxConnections: 4, ...(sessionUrl ? { sessionUrl } : {}) })
  return Object.assign(pg, {
    async changeStoreNames(prefix: string): Promise<string[]> {
      // Names are `<tenant>/<db>`: the CLI asks by tenant (`<tenant>/`).
      const tenant = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
      return (await pg.listDatabases(tenant)).map((db) => `${tenant}/${db}`)
    },
    async checkIntegrity(name: string): Promise<StoreCheck> {
      return checkByScan(await pg.openChangeStore(name))
    },
  })
}

const MAX_PROBLEMS = 100

/** Reads a whole store in arrival order: each entry verified again, arrival numbers checked. */
export async function checkByScan(store: ChangeStore): Promise<StoreCheck> {
  const problems: string[] = []
  const report = (p: string) => void (problems.length < MAX_PROBLEMS && problems.push(p))
  let expected = 1
  let entries = 0
  for (let cursor: Cursor | null = null, done = false; !done;) {
    const page = await store.scan(cursor, { limit: 500 })
    const held = new Map((await store.getChanges(page.entries.map((e) => e.hash))).map((e) => [e.hash, e.bytes]))
    page.entries.forEach((item) => {
      entries++
      if (item.seq !== expected) report(`arrival ${item.seq} follows ${expected - 1}: gap or repeat`)
      expected = item.seq + 1
      const bytes = held.get(item.hash)
      if (!bytes) return report(`entry ${item.hash}: listed but not stored`)
      try {
        const { header } = verifyEntry(item.hash, bytes)
        if (header.docId !== item.docId || header.kind !== item.kind)
          report(`entry ${item.hash}: indexed as ${item.docId} ${item.kind}, signed as ${header.docId} ${header.kind}`)
      } catch (err) {
        report(`entry ${item.hash}: ${err instanceof Error ? err.message : String(err)}`)
      }
    })
    cursor = page.cursor
    done = page.done
  }
  const head = await store.head()
  if (head.count !== entries) report(`the head counts ${head.count} entries, the scan found ${entries}`)
  return { entries, problems }
}
