import { ErrorCodes, randomBytes, toBase64Url, WeftError } from '@weft/core/backend'
import { MEMBERSHIP_EXPIRED, verifyChallenge } from '@weft/protocol'
import { ChallengeTable, type ChallengeQuotas } from './ChallengeTable.ts'
import type { Admission } from './Admission.ts'
import type { SharedSessions } from './cluster/SharedSessions.ts'

/** A signed-in client: one member key of one tenant, until `expiresAt`. */
export interface Session {
  readonly token: string
  readonly tenant: string
  /** The member's public key, base64url. */
  readonly key: string
  readonly expiresAt: number
}

/**
 * The server a sign-in names: the origin and the server identity the client signed for, and
 * whether the origin is one this server answers to.
 */
export interface SignedFor {
  readonly origin: string
  readonly serverId: string
  readonly accepted: boolean
}

const MAX_SESSIONS = 1_000_000

/**
 * Challenge-response sign-in. A client asks for a random challenge for its key, signs it (bound
 * to this server's identity, the origin it reached it by and the tenant, domain-separated) and gets
 * a short-lived bearer token. Challenges are single-use, and bounded per tenant and per client
 * address (see {@link ChallengeTable}).
 * Tokens live in memory: a restarted server asks clients to sign in again (401). Processes that
 * share one storage (`shared`) keep challenges in it and hand out tokens any of them checks
 * (see {@link SharedSessions}); `fresh` is asked before any key's standing is read.
 */
export class Authenticator {
  readonly #registry: Admission
  readonly #sessionTtl: number
  readonly #challengeTtl: number
  readonly #serverId: string
  readonly #challenges: ChallengeTable
  readonly #sessions = new Map<string, Session>()
  readonly #shared: SharedSessions | undefined
  readonly #fresh: (tenant: string) => Promise<void>

  constructor(
    registry: Admission,
    options: {
      serverId: string
      sessionTtlMs: number
      challengeTtlMs: number
      challenges?: Partial<ChallengeQuotas>
      shared?: SharedSessions
      fresh?: (tenant: string) => Promise<void>
    },
  ) {
    this.#registry = registry
    this.#shared = options.shared
    this.#fresh = options.fresh ?? (async () => {})
    this.#serverId = options.serverId
    this.#challenges = new ChallengeTable(options.challenges)
    this.#sessionTtl = options.sessionTtlMs
    this.#challengeTtl = options.challengeTtlMs
  }

  /**
   * A fresh challenge for `publicKey` in `tenant`, asked for from client `address`, within the
   * per-tenant and per-address quotas of pending challenges (`WEFT_RATE_LIMITED` past them).
   */
  async challenge(
    tenant: string,
    publicKey: Uint8Array,
    address: string,
  ): Promise<{ challenge: Uint8Array; expiresAt: number; serverId: string }> {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'publicKey must be 32 bytes')
    const challenge = randomBytes(32)
    const expiresAt = Date.now() + this.#challengeTtl
    const pending = { tenant, key: toBase64Url(publicKey), address, expiresAt }
    this.#challenges.add(toBase64Url(challenge), pending)
    await this.#shared?.addChallenge(toBase64Url(challenge), pending)
    return { challenge, expiresAt, serverId: this.#serverId }
  }

  /** Checks a signed challenge and opens a session. 401 for anything unknown or expired, 403 for a revoked key. */
  async session(
    tenant: string,
    publicKey: Uint8Array,
    challenge: Uint8Array,
    signature: Uint8Array,
    server: SignedFor,
  ): Promise<Session> {
    const local = this.#challenges.take(toBase64Url(challenge))
    // Shared: whichever process issued it, the storage lets one answer take it.
    const pending = this.#shared ? await this.#shared.takeChallenge(toBase64Url(challenge)) : local
    const key = toBase64Url(publicKey)
    if (!pending || pending.expiresAt < Date.now() || pending.tenant !== tenant || pending.key !== key) {
      throw new WeftError(ErrorCodes.UNAUTHORIZED, 'unknown or expired challenge')
    }
    if (server.serverId !== this.#serverId || !server.accepted) {
      throw new WeftError(ErrorCodes.UNAUTHORIZED, 'the challenge was signed for another server')
    }
    if (!verifyChallenge(server, tenant, challenge, signature, publicKey)) {
      throw new WeftError(ErrorCodes.UNAUTHORIZED, 'challenge signature does not verify')
    }
    await this.#requireMember(tenant, key)
    const expiresAt = Date.now() + this.#sessionTtl
    if (this.#shared) return { token: await this.#shared.issue(tenant, key, expiresAt), tenant, key, expiresAt }
    const s: Session = { token: toBase64Url(randomBytes(32)), tenant, key, expiresAt }
    if (this.#sessions.size >= MAX_SESSIONS) this.#sweep()
    if (this.#sessions.size >= MAX_SESSIONS)
      throw new WeftError(ErrorCodes.RATE_LIMITED, 'too many open sessions; retry later')
    this.#sessions.set(s.token, s)
    return s
  }

  /** The live session behind a bearer token; 401 when unknown or expired, 403 when its key was revoked. */
  async authenticate(token: string | undefined): Promise<Session> {
    if (this.#shared && token) return this.#sharedSession(token)
    const s = token ? this.#sessions.get(token) : undefined
    if (!s) throw new WeftError(ErrorCodes.UNAUTHORIZED, token ? 'unknown session token' : 'no session token')
    if (s.expiresAt < Date.now()) {
      this.#sessions.delete(s.token)
      throw new WeftError(ErrorCodes.UNAUTHORIZED, 'session token expired')
    }
    await this.#requireMember(s.tenant, s.key)
    return s
  }

  /**
   * Checks an open session again (for a live socket): 403 when its key was revoked or its
   * membership ran out, 401 when the session ended. Returns when it ends unless renewed: the
   * session's expiry or the membership's `until`, whichever comes first.
   */
  async check(s: Session): Promise<number> {
    await this.#requireMember(s.tenant, s.key)
    const ended = this.#shared ? !(await this.#shared.verify(s.token)) : this.#sessions.get(s.token) !== s
    if (ended || s.expiresAt <= Date.now())
      throw new WeftError(ErrorCodes.UNAUTHORIZED, 'the session ended: sign in again')
    return Math.min(s.expiresAt, (await this.#registry.until(s.tenant, s.key)) ?? Infinity)
  }

  /** Ends every session of the given keys. */
  async revoke(tenant: string, keys: readonly string[]): Promise<void> {
    const set = new Set(keys)
    for (const [t, s] of this.#sessions) if (s.tenant === tenant && set.has(s.key)) this.#sessions.delete(t)
    if (keys.length) await this.#shared?.endKeys(tenant, keys)
  }

  /** Ends every session of a tenant (its id was reset). */
  async endTenant(tenant: string): Promise<void> {
    for (const [t, s] of this.#sessions) if (s.tenant === tenant) this.#sessions.delete(t)
    await this.#shared?.endTenant(tenant)
  }

  /** Forgets what it read of `tenant`'s ended sessions (another process may have ended some). */
  forget(tenant: string): void {
    this.#shared?.forget(tenant)
  }

  /**
   * A shared token's session: the key's standing first (with its tenant's state made fresh, so a
   * revocation through another process counts: 403), then whether its sessions were ended (401).
   */
  async #sharedSession(token: string): Promise<Session> {
    const claims = this.#shared!.claims(token)
    if (!claims) throw new WeftError(ErrorCodes.UNAUTHORIZED, 'unknown or expired session token')
    await this.#requireMember(claims.tenant, claims.key)
    if (!(await this.#shared!.current(token)))
      throw new WeftError(ErrorCodes.UNAUTHORIZED, 'the session ended: sign in again')
    return { token, ...claims }
  }

  async #requireMember(tenant: string, key: string): Promise<void> {
    await this.#fresh(tenant)
    const standing = await this.#registry.standing(tenant, key)
    if (standing === 'revoked')
      throw new WeftError(ErrorCodes.FORBIDDEN, 'this key was revoked by the tenant admin, or its device removed')
    if (standing === 'expired') throw new WeftError(ErrorCodes.FORBIDDEN, MEMBERSHIP_EXPIRED)
    if (standing === 'author')
      throw new WeftError(ErrorCodes.UNAUTHORIZED, 'this key may author entries for the tenant but not sign in')
    if (standing === 'unknown')
      throw new WeftError(ErrorCodes.UNAUTHORIZED, 'this key is not registered for the tenant')
  }

  #sweep(): void {
    const now = Date.now()
    for (const [k, s] of this.#sessions) if (s.expiresAt < now) this.#sessions.delete(k)
  }
}
