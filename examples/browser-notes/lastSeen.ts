/**
 * When each device last wrote, as far as this device knows: the newest `createdAt` of the entries
 * it signed in a database (who is here now is here.ts). `createdAt` is the writer's own clock.
 */
import type { ChangeHash, Cursor, Database } from '@weft/core'
import { parseEntry, toBase64Url } from '@weft/core/backend'

export class LastSeen {
  readonly #at = new Map<string, number>()

  /** Reads what `db` holds, then follows what it receives; calls `onChange` when a time moves. */
  static async follow(db: Database, onChange: () => void): Promise<LastSeen> {
    const seen = new LastSeen()
    const store = db.getStore()
    for (let cursor: Cursor | null = null; ;) {
      const page = await store.scan(cursor, { limit: 1_000 })
      await seen.#read(
        db,
        page.entries.map((e) => e.hash),
      )
      cursor = page.cursor
      if (page.done) break
    }
    store.subscribe((added) => void seen.#read(db, added).then((moved) => moved && onChange()))
    return seen
  }

  /** When the device `deviceId` (base64url) last wrote, or undefined. */
  at(deviceId: string): number | undefined {
    return this.#at.get(deviceId)
  }

  async #read(db: Database, hashes: readonly ChangeHash[]): Promise<boolean> {
    let moved = false
    for (const e of await db.getStore().getChanges(hashes)) {
      const { author, createdAt } = parseEntry(e.hash, e.bytes).header
      const id = toBase64Url(author)
      if (createdAt > (this.#at.get(id) ?? 0)) {
        this.#at.set(id, createdAt)
        moved = true
      }
    }
    return moved
  }
}
