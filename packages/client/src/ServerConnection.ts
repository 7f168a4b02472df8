import { ErrorCodes, isWeftError, WeftError, type ServerSigner, type SigningKeyPair } from '@weft/core/backend'
import {
  DEFAULT_LIMITS,
  decodeAnswer,
  MAX_ANSWER_BYTES,
  encodeBody,
  MSGPACK_TYPE,
  serverOrigin,
  signChallenge,
  type Bodies,
  type DbOp,
  type MailBodies,
  type MailOp,
  type ProtocolLimits,
} from '@weft/protocol'
import { DirectoryHandoff } from './DirectoryHandoff.ts'
import { errorFrom } from './errorFrom.ts'
import { readAnswer } from './readAnswer.ts'
import { ServerIdentityCheck } from './ServerIdentityCheck.ts'

/** How to reach a server as one member of one tenant. */
export interface ServerConnectionOptions {
  /** Base URL of the server, e.g. `https://sync.example.com`. */
  readonly url: string
  /**
   * Other addresses of the same service: processes serving one storage (the same server identity),
   * e.g. each relay process behind a load balancer. The connection talks to one address at a time,
   * starting with `url`; when that one cannot be reached, or its live socket closes saying it is
   * going away, it moves to the next and signs in again there. Default: none.
   */
  readonly failoverUrls?: readonly string[]
  readonly tenant: string
  /**
   * A member signing key the tenant admin registered on the server, or a tenant's `serverSigner()`:
   * a device of a tenant with a directory is then admitted by the directory's records, which the
   * connection hands the server before signing in.
   */
  readonly key: SigningKeyPair | ServerSigner
  /** `fetch` to use. Default: the global one. */
  readonly fetch?: typeof fetch
  /** Limits to keep requests within. Default: the protocol defaults. */
  readonly limits?: Partial<ProtocolLimits>
  /** Give up on one request after this many milliseconds. Default 30 s. */
  readonly timeoutMs?: number
  /**
   * The server's identity, when known beforehand (its operator's `serverId`): the connection then
   * refuses (`WEFT_UNAUTHORIZED`) to sign in to, or register with, a server that names another,
   * so not even a server that lies about who it is can obtain a sign-in valid elsewhere. Default:
   * the identity the server gives.
   */
  readonly serverId?: string
}

const RATE_RETRIES = 5

/**
 * An authenticated link to a server for one tenant: it signs in by signing the server's challenge,
 * keeps the session token, signs in again when the token expires or the server forgot it (401),
 * and waits and retries when rate limited. Every failure is a `WeftError` with the server's code,
 * or `WEFT_NETWORK` when the server could not be reached.
 */
export class ServerConnection {
  /** Every address of the service, in the order tried: `url` first, then `failoverUrls`. */
  readonly urls: readonly string[]
  readonly tenant: string
  readonly limits: ProtocolLimits
  readonly #key: SigningKeyPair | ServerSigner
  readonly #fetch: typeof fetch
  readonly #timeoutMs: number
  /** The session, made at one address (a session is good only with the process that made it). */
  #session: Promise<{ token: string; expiresAt: number; url: string }> | undefined
  /** Which of {@link urls} is in use. */
  #at = 0
  readonly #identity: ServerIdentityCheck
  readonly #directory: DirectoryHandoff

  constructor(options: ServerConnectionOptions) {
    this.urls = [options.url, ...(options.failoverUrls ?? [])].map((u) => u.replace(/\/+$/, ''))
    this.tenant = options.tenant
    this.#key = options.key
    this.#fetch = options.fetch ?? ((...args) => globalThis.fetch(...args))
    this.#timeoutMs = options.timeoutMs ?? 30_000
    this.limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.#identity = new ServerIdentityCheck({
      connection: this,
      fetch: this.#fetch,
      timeoutMs: this.#timeoutMs,
      pinnedId: options.serverId,
    })
    this.#directory = new DirectoryHandoff({ connection: this, key: this.#key })
  }

  /** The address in use now: `url`, or one of `failoverUrls` after a failover. */
  get url(): string {
    return this.urls[this.#at]!
  }

  /**
   * Moves to the next address, when there are several and `from` (default: the one in use) is
   * still the one in use, so that many requests failing together move only once. The next request
   * signs in there. True when it moved.
   */
  failover(from: string = this.url): boolean {
    if (this.urls.length < 2 || from !== this.url) return false
    this.#at = (this.#at + 1) % this.urls.length
    this.#session = undefined
    return true
  }

  /**
   * The identity of the server (`GET /v1/identity`), which sign-ins and registrations are made
   * for; asked once. `WEFT_UNAUTHORIZED` when it is not the `serverId` this connection was given.
   */
  serverId(signal?: AbortSignal): Promise<string> {
    return this.#identity.serverId(signal)
  }

  /** The public key this connection signs in with. */
  get publicKey(): Uint8Array {
    return this.#key.publicKey
  }

  /** Path prefix of this tenant: `/v1/t/<tenant>`. */
  get tenantPath(): string {
    return `/v1/t/${encodeURIComponent(this.tenant)}`
  }

  /** A valid session token, signing in when there is none or it is about to expire. */
  async token(): Promise<string> {
    const current = this.#session
    if (current) {
      const s = await current.catch(() => undefined)
      if (s && s.url === this.url && s.expiresAt - Date.now() > 10_000 && this.#session === current) return s.token
      if (this.#session === current) this.#session = undefined
    }
    this.#session ??= this.#signIn()
    const p = this.#session
    p.catch(() => {
      if (this.#session === p) this.#session = undefined
    })
    return (await p).token
  }

  /**
   * Hands the server the tenant directory's membership records the signer provides (a tenant's
   * `serverSigner()` does, once the tenant has a directory) that this connection has not handed it
   * yet, in requests of at most 64 KiB: the server then admits the directory's devices, and stops
   * admitting removed ones at once. Sign-in does it first by itself; call it after changing the
   * directory (removing a device) to make the server act on it now. Returns how many records the
   * server added; records it refused are reported in `refused` (their signed form).
   */
  syncDirectory(signal?: AbortSignal): Promise<{ added: number; refused: string[] }> {
    return this.#directory.sync(signal)
  }

  /** Forgets the session token, so the next request signs in again. */
  invalidate(): void {
    this.#session = undefined
  }

  /** Runs one database operation. */
  db<Op extends DbOp>(db: string, op: Op, body: Bodies[Op]['req'], signal?: AbortSignal): Promise<Bodies[Op]['res']> {
    return this.#signedIn(`${this.tenantPath}/db/${encodeURIComponent(db)}/${op}`, body, signal)
  }

  /** Runs one mailbox operation (small opaque messages between the tenant's members). */
  mail<Op extends MailOp>(op: Op, body: MailBodies[Op]['req'], signal?: AbortSignal): Promise<MailBodies[Op]['res']> {
    return this.#signedIn(`${this.tenantPath}/mail/${op}`, body, signal)
  }

  /** What the tenant stores on the server (bytes, entries, databases) and the limits it has there. */
  usage(signal?: AbortSignal): Promise<Bodies['usage']['res']> {
    return this.#signedIn(`${this.tenantPath}/usage`, {}, signal)
  }

  async #signedIn<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token()
      try {
        return await this.post<T>(path, body, token, signal)
      } catch (err) {
        if (attempt === 0 && err instanceof WeftError && err.code === ErrorCodes.UNAUTHORIZED) {
          this.invalidate() // the token expired or the server restarted: sign in once more
          continue
        }
        throw err
      }
    }
  }

  /** POSTs a MessagePack body to `path` and decodes the answer; typed errors from the server's `{ code, message }`. */
  async post<T>(path: string, body: unknown, token?: string, signal?: AbortSignal): Promise<T> {
    const bytes = encodeBody(body)
    if (bytes.length > this.limits.maxBodyBytes) {
      throw new WeftError(
        ErrorCodes.PAYLOAD_TOO_LARGE,
        `request of ${bytes.length} bytes is over the ${this.limits.maxBodyBytes} limit`,
      )
    }
    let moves = 0
    for (let attempt = 0; ; attempt++) {
      let res: Response
      const timeout = AbortSignal.timeout(this.#timeoutMs)
      const url = this.url
      try {
        res = await this.#fetch(url + path, {
          method: 'POST',
          headers: { 'content-type': MSGPACK_TYPE, ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: bytes as BodyInit,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        })
      } catch (err) {
        if (signal?.aborted) throw new WeftError(ErrorCodes.ABORTED, 'request aborted', { cause: err })
        // A kept-alive connection the server had just closed: every operation is idempotent, so try once more.
        if (attempt === 0 && !timeout.aborted) continue
        // Another process of the service: every operation is idempotent, so try it there (a
        // session of the last process is refused there with 401, and the caller signs in again).
        if (moves < this.urls.length - 1 && this.failover(url)) {
          moves++
          continue
        }
        throw new WeftError(ErrorCodes.NETWORK, `cannot reach ${url}`, { cause: err })
      }
      let payload: Uint8Array
      try {
        payload = await readAnswer(res, MAX_ANSWER_BYTES)
      } catch (err) {
        if (isWeftError(err, ErrorCodes.PAYLOAD_TOO_LARGE)) throw err
        throw new WeftError(ErrorCodes.NETWORK, 'connection dropped while reading the answer', { cause: err })
      }
      if (res.ok) return decodeAnswer<T>(payload)
      const error = errorFrom(res.status, payload)
      if (error.code === ErrorCodes.RATE_LIMITED && attempt < RATE_RETRIES) {
        await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000 * (0.5 + Math.random()), signal)
        continue
      }
      throw error
    }
  }

  /**
   * Signs in. A device of a tenant with a directory proves itself with the directory's records
   * first; refused as unknown or revoked, it hands them all again (the server may have lost them:
   * a reset, a restore; or the directory was still loading) and tries once more if it had any.
   */
  async #signIn(): Promise<{ token: string; expiresAt: number; url: string }> {
    const url = this.url
    try {
      return await this.#signInHere()
    } catch (err) {
      // The challenge came from one process and the answer went to another (the first one went
      // away): not a refusal of the key, so the caller may try again.
      if (this.url !== url && isWeftError(err, ErrorCodes.UNAUTHORIZED))
        throw new WeftError(ErrorCodes.NETWORK, `the server at ${url} went away during sign-in`, { cause: err })
      throw err
    }
  }

  async #signInHere(): Promise<{ token: string; expiresAt: number; url: string }> {
    await this.#directory.hand()
    try {
      return await this.#signInOnce()
    } catch (err) {
      const refused = isWeftError(err, ErrorCodes.UNAUTHORIZED) || isWeftError(err, ErrorCodes.FORBIDDEN)
      if (!refused || !this.#directory.provided) throw err
      this.#directory.forget()
      if ((await this.#directory.hand()) === 0) throw err
      return this.#signInOnce()
    }
  }

  async #signInOnce(): Promise<{ token: string; expiresAt: number; url: string }> {
    const { challenge, serverId } = await this.post<Bodies['challenge']['res']>(`${this.tenantPath}/challenge`, {
      publicKey: this.#key.publicKey,
    })
    const url = this.url // where the challenge came from
    this.#identity.check(serverId)
    const server = serverOrigin(url)
    const signature = signChallenge({ origin: server, serverId }, this.tenant, challenge, this.#key)
    const session = await this.post<Bodies['session']['res']>(`${this.tenantPath}/session`, {
      publicKey: this.#key.publicKey,
      challenge,
      server,
      serverId,
      signature,
    })
    return { ...session, url }
  }
}

/** Waits `ms`, or rejects with `WEFT_ABORTED`. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new WeftError(ErrorCodes.ABORTED, 'aborted'))
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(new WeftError(ErrorCodes.ABORTED, 'aborted'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
