import {
  packValue,
  unpackValue,
  type ChangeHash,
  type ChangeStore,
  type Cursor,
  type KeyValueStore,
} from '@weft/core/backend'

const PAGE = 1_000

/**
 * How far the local store was known to be on the server: a cursor over the local store, saved
 * whenever a live sync is up to date with nothing pending. Entries after it are what may still be
 * missing on the server, so a sync started later (a new process, after a restart) can count them
 * as pending before it has reached the server.
 */
export class ConfirmedCursor {
  readonly #local: ChangeStore
  readonly #kv: KeyValueStore
  readonly #key: string
  #saved: Cursor | null | undefined
  #running: Promise<void> | undefined
  #again = false

  constructor(local: ChangeStore, kv: KeyValueStore, key: string) {
    this.#local = local
    this.#kv = kv
    this.#key = key
  }

  /**
   * Local entries after the saved cursor, in arrival order; none when nothing was saved yet (then
   * only reaching the server can tell) or when the local store is of another epoch.
   */
  async unconfirmed(): Promise<ChangeHash[]> {
    const bytes = await this.#kv.get(this.#key)
    let cursor = bytes ? unpackValue<Cursor>(bytes, 1024) : null
    this.#saved = cursor
    if (!cursor) return []
    const out: ChangeHash[] = []
    for (;;) {
      const page = await this.#local.scan(cursor, { limit: PAGE })
      if (page.reset) return [] // another history: no telling what the server has
      out.push(...page.entries.map((e) => e.hash))
      cursor = page.cursor
      if (page.done) return out
    }
  }

  /**
   * Records that everything the local store holds now is on the server. Calls while one is under
   * way fold into one more after it, so a busy live sync reads the head at most once at a time.
   * `stillClear` is asked after the head is read: a local write that came in meanwhile is not
   * confirmed with it.
   */
  confirmAll(stillClear: () => boolean): Promise<void> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = (async () => {
      do {
        this.#again = false
        const head = await this.#local.head()
        if (!stillClear() || (this.#saved && this.#saved.epoch === head.epoch && this.#saved.seq === head.seq)) continue
        const cursor: Cursor = { epoch: head.epoch, seq: head.seq }
        await this.#kv.put(this.#key, packValue(cursor))
        this.#saved = cursor
      } while (this.#again)
    })().finally(() => (this.#running = undefined))
    return this.#running
  }
}
