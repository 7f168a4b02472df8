import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { addToCounter, exclusively, packValue, takeRecord, unpackValue, type KeyValueStore } from '@weft/core/backend'
import type { PendingChallenge } from '../ChallengeTable.ts'

/** A session a token names, once its signature and expiry checked out. */
export interface TokenClaims {
  readonly tenant: string
  readonly key: string
  readonly expiresAt: number
}

const SECRET_KEY = 'server/session-secret'
const TOKEN_PREFIX = 'w1.'
/** Longest token read: a tenant id and a key are short, so anything longer is not ours. */
const MAX_TOKEN_CHARS = 1_024
/** Tenants whose sessions-ended counters a process remembers; past it they are read again. */
const MAX_FLOOR_TENANTS = 100_000

/**
 * Sign-in state that every server process over one storage shares.
 *
 * Challenges are records in the shared store (`challenge/<id>`), taken with a single-use step the
 * storage makes atomic across processes, so a signed challenge opens one session on one process
 * and is refused by every other. Sessions are stateless tokens: the tenant, the key, the expiry and
 * two "sessions ended" counters (the tenant's and the key's), under an HMAC-SHA256 whose key is
 * derived from a secret kept in the shared store and from the server identity, so every process
 * checks any process's token without a read, and no other server accepts it. Ending sessions (a
 * revoked key, a reset tenant) moves a counter, which ends every token made before.
 */
export class SharedSessions {
  readonly #kv: KeyValueStore
  readonly #mac: Buffer
  /** Sessions-ended counters read, per tenant: the tenant's under '', each key's under the key. */
  readonly #floors = new Map<string, Map<string, number>>()
  /** Challenges this process issued, oldest first, for erasing those never answered. */
  #issued: { id: string; expiresAt: number }[] = []
  readonly #sweep: ReturnType<typeof setInterval>

  private constructor(kv: KeyValueStore, secret: Uint8Array, serverId: string, sweepMs: number) {
    this.#kv = kv
    this.#mac = createHmac('sha256', secret).update(`weft-session-v1\u0000${serverId}`).digest()
    this.#sweep = setInterval(() => void this.#eraseExpired(), sweepMs)
    this.#sweep.unref()
  }

  /** Opens the shared sign-in state, making the shared secret if no process made it yet. */
  static async open(kv: KeyValueStore, serverId: string, challengeTtlMs: number): Promise<SharedSessions> {
    const secret = await exclusively(kv, SECRET_KEY, async () => {
      const held = await kv.get(SECRET_KEY)
      if (held?.length === 32) return held
      const made = new Uint8Array(randomBytes(32))
      await kv.put(SECRET_KEY, made)
      return made
    })
    return new SharedSessions(kv, secret, serverId, Math.max(1_000, challengeTtlMs))
  }

  /** Records a challenge for any process to take. */
  async addChallenge(id: string, c: PendingChallenge): Promise<void> {
    await this.#kv.put(challengeKey(id), packValue(c))
    this.#issued.push({ id, expiresAt: c.expiresAt })
  }

  /** Takes a challenge out, whichever process issued it; undefined when unknown or taken already. */
  async takeChallenge(id: string): Promise<PendingChallenge | undefined> {
    const raw = await takeRecord(this.#kv, challengeKey(id))
    if (!raw) return undefined
    const c = unpackValue<PendingChallenge>(raw, 4_096)
    const ok =
      typeof c?.tenant === 'string' &&
      typeof c.key === 'string' &&
      typeof c.address === 'string' &&
      Number.isSafeInteger(c.expiresAt)
    return ok ? c : undefined
  }

  /** A token for a new session of `key` in `tenant`, until `expiresAt`. */
  async issue(tenant: string, key: string, expiresAt: number): Promise<string> {
    const [a, b] = await this.#floorsOf(tenant, key)
    const payload = Buffer.from(JSON.stringify({ t: tenant, k: key, e: expiresAt, a, b })).toString('base64url')
    return `${TOKEN_PREFIX}${payload}.${this.#sign(payload)}`
  }

  /** The session a token names, when it is ours, unexpired and no session end came after it. */
  async verify(token: string, now = Date.now()): Promise<TokenClaims | undefined> {
    const claims = this.claims(token, now)
    return claims && (await this.current(token)) ? claims : undefined
  }

  /** The session a token names, when it is ours and unexpired (whether it was ended is {@link current}'s to say). */
  claims(token: string, now = Date.now()): TokenClaims | undefined {
    const c = this.#parse(token)
    return c && c.e >= now ? { tenant: c.t, key: c.k, expiresAt: c.e } : undefined
  }

  /** False when the session of this (well-formed) token was ended after it was made. */
  async current(token: string): Promise<boolean> {
    const c = this.#parse(token)
    if (!c) return false
    const [a, b] = await this.#floorsOf(c.t, c.k)
    return c.a === a && c.b === b
  }

  /** Ends every session of the given keys of `tenant`. */
  async endKeys(tenant: string, keys: readonly string[]): Promise<void> {
    for (const key of keys) this.#remember(tenant, key, await addToCounter(this.#kv, floorName(tenant, key), 1))
  }

  /** Ends every session of `tenant`. */
  async endTenant(tenant: string): Promise<void> {
    this.#remember(tenant, '', await addToCounter(this.#kv, floorName(tenant, ''), 1))
  }

  /** Forgets the counters read for `tenant` (another process may have moved them). */
  forget(tenant: string): void {
    this.#floors.delete(tenant)
  }

  close(): void {
    clearInterval(this.#sweep)
  }

  async #floorsOf(tenant: string, key: string): Promise<[number, number]> {
    return [await this.#floor(tenant, ''), await this.#floor(tenant, key)]
  }

  async #floor(tenant: string, key: string): Promise<number> {
    const known = this.#floors.get(tenant)?.get(key)
    if (known !== undefined) return known
    const n = await addToCounter(this.#kv, floorName(tenant, key), 0)
    this.#remember(tenant, key, n)
    return n
  }

  #remember(tenant: string, key: string, n: number): void {
    let of = this.#floors.get(tenant)
    if (!of) {
      if (this.#floors.size >= MAX_FLOOR_TENANTS) this.#floors.clear()
      this.#floors.set(tenant, (of = new Map()))
    }
    of.set(key, n)
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#mac).update(payload).digest('base64url')
  }

  #parse(token: string): { t: string; k: string; e: number; a: number; b: number } | undefined {
    if (token.length > MAX_TOKEN_CHARS || !token.startsWith(TOKEN_PREFIX)) return undefined
    const [payload, mac, extra] = token.slice(TOKEN_PREFIX.length).split('.')
    if (payload === undefined || mac === undefined || extra !== undefined) return undefined
    const expected = Buffer.from(this.#sign(payload), 'base64url')
    const given = Buffer.from(mac, 'base64url')
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    let v: unknown
    try {
      v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    } catch {
      return undefined
    }
    const c = v as { t?: unknown; k?: unknown; e?: unknown; a?: unknown; b?: unknown }
    if (typeof c.t !== 'string' || typeof c.k !== 'string') return undefined
    if (![c.e, c.a, c.b].every((n) => Number.isSafeInteger(n))) return undefined
    return c as { t: string; k: string; e: number; a: number; b: number }
  }

  /** Erases the challenges this process issued that expired unanswered (an answered one is gone already). */
  async #eraseExpired(): Promise<void> {
    const now = Date.now()
    let expired = 0
    while (expired < this.#issued.length && this.#issued[expired]!.expiresAt < now) expired++
    const done = this.#issued.slice(0, expired)
    this.#issued = this.#issued.slice(expired)
    for (const { id } of done) await this.#kv.delete(challengeKey(id)).catch(() => undefined)
  }
}

function challengeKey(id: string): string {
  return `challenge/${id}`
}

/** The counter of ended sessions: a tenant's (`key` '') or one key's of it. */
function floorName(tenant: string, key: string): string {
  return key === '' ? `sessions/${tenant}` : `sessions/${tenant}/${key}`
}
