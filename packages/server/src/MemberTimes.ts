import { packValue, unpackValue, type KeyValueStore } from '@weft/core/backend'

/** What the server saw of one device key: when it first admitted it, and its last sign-in. */
export interface KeyTimes {
  /** When this server first admitted the key (ms since the epoch); absent when it admitted it before it kept times. */
  readonly admittedAt?: number
  /** When the key last signed in to this server (ms since the epoch); absent when it never did. */
  readonly lastSignInAt?: number
}

const ADMITTED = 'admitted'
const SIGNED_IN = 'signin'
/** A sign-in within this long of the last one this process noted for the same key is not written again. */
export const SIGN_IN_GRANULARITY_MS = 60_000
/** How many keys' last noted sign-ins a process remembers (the oldest are forgotten first). */
const REMEMBERED_SIGN_INS = 4096

/**
 * When the server admitted each device key of a tenant and when it last signed in: server-side
 * times (directory records and registrations carry none), one small record per key in the
 * server's key-value store, under `membertimes/<tenant>/`. A sign-in writes one record, unless this
 * process noted one for the same key less than `SIGN_IN_GRANULARITY_MS` before (so a sign-in storm
 * costs no write per sign-in, and a last sign-in is exact to that granularity); a listing reads only
 * the page it answers.
 */
export class MemberTimes {
  readonly #kv: KeyValueStore
  /** `tenant/key` → the sign-in time this process last wrote, oldest first. */
  readonly #noted = new Map<string, number>()

  constructor(kv: KeyValueStore) {
    this.#kv = kv
  }

  /** Notes that `keys` (base64url) were admitted at `at`; a key admitted before keeps its first time. */
  async admitted(tenant: string, keys: readonly string[], at = Date.now()): Promise<void> {
    for (const key of keys) {
      const k = recordKey(tenant, ADMITTED, key)
      if ((await this.#kv.get(k)) === undefined) await this.#kv.put(k, packValue(at))
    }
  }

  /** Notes a sign-in of `key` (base64url) at `at`, unless this process noted one less than `SIGN_IN_GRANULARITY_MS` before. */
  async signedIn(tenant: string, key: string, at = Date.now()): Promise<void> {
    const id = `${tenant}/${key}`
    const last = this.#noted.get(id)
    if (last !== undefined && at >= last && at - last < SIGN_IN_GRANULARITY_MS) return
    await this.#kv.put(recordKey(tenant, SIGNED_IN, key), packValue(at))
    this.#noted.delete(id)
    this.#noted.set(id, at)
    if (this.#noted.size > REMEMBERED_SIGN_INS) this.#noted.delete(this.#noted.keys().next().value!)
  }

  /** The times kept for each of `keys`. */
  async read(tenant: string, keys: readonly string[]): Promise<Map<string, KeyTimes>> {
    const out = new Map<string, KeyTimes>()
    for (const key of keys) {
      const admittedAt = await this.#time(recordKey(tenant, ADMITTED, key))
      const lastSignInAt = await this.#time(recordKey(tenant, SIGNED_IN, key))
      out.set(key, {
        ...(admittedAt !== undefined ? { admittedAt } : {}),
        ...(lastSignInAt !== undefined ? { lastSignInAt } : {}),
      })
    }
    return out
  }

  /** Erases every time kept for the tenant (a reset). */
  async erase(tenant: string): Promise<void> {
    for (const id of [...this.#noted.keys()]) if (id.startsWith(`${tenant}/`)) this.#noted.delete(id)
    for (const k of await this.#kv.keys(memberTimesPrefix(tenant))) await this.#kv.delete(k)
  }

  async #time(key: string): Promise<number | undefined> {
    const raw = await this.#kv.get(key)
    if (!raw) return undefined
    try {
      const t = unpackValue<unknown>(raw, 64)
      return typeof t === 'number' && Number.isFinite(t) ? t : undefined
    } catch {
      return undefined // a damaged record: the time is unknown
    }
  }
}

/** Where the times of a tenant's keys are kept (tenant ids hold no `/`). */
export function memberTimesPrefix(tenant: string): string {
  return `membertimes/${tenant}/`
}

function recordKey(tenant: string, kind: string, key: string): string {
  return `${memberTimesPrefix(tenant)}${kind}/${key}`
}
