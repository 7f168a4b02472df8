import { bytesEqual, fromBase64Url, toBase64Url } from '../codec/index.ts'
import type { SigningKeyPair } from '../crypto/index.ts'
import { ErrorCodes, toWeftError, type ErrorCode } from '../errors.ts'
import type { KeyBag } from '../keys/index.ts'
import { createPresenceMessage } from './createPresenceMessage.ts'
import { DEFAULT_PRESENCE_TIMEOUT_MS, PRESENCE_LIMITS } from './limits.ts'
import { openPresenceMessage } from './openPresenceMessage.ts'
import { parsePresenceMessage } from './parsePresenceMessage.ts'
import type { PresenceBody } from './PresenceMessage.ts'

/** What a {@link Presence} is built from (a database or a tenant makes it). */
export interface PresenceOptions {
  readonly tenantId: string
  /** A database name, or `''` for the tenant's own presence. */
  readonly scope: string
  readonly signer: SigningKeyPair
  readonly keyBag: KeyBag
  /** The key messages are encrypted under (read when sending, so a rotation is followed). */
  readonly keyId: () => string
  /** Whether a device key may be present now: a device of the tenant that is not removed. */
  readonly admits: (signingKey: Uint8Array) => boolean
  /** A peer that sent nothing new for this long is gone. Default 30 s. */
  readonly timeoutMs?: number
  /** The clock (tests). Default `Date.now`. */
  readonly now?: () => number
}

/** Another device present in the same scope. */
export interface PresencePeer<T = unknown> {
  /** Its Ed25519 signing key, base64url (as in the tenant directory). */
  readonly device: string
  readonly state: T
  /** When its newest message arrived here (ms since the epoch, local clock). */
  readonly lastSeen: number
  /** When it is gone unless it refreshes. */
  readonly expiresAt: number
}

/** What became of one received message: taken, or dropped with the reason. */
export type PresenceReceipt =
  | { readonly ok: true; readonly device: string }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string }

/** One transport a {@link Presence} sends on and receives from (a relay socket, an in-process peer). */
export interface PresenceLink {
  /** Hands the presence a message that arrived on this link. Never throws. */
  receive(bytes: Uint8Array): PresenceReceipt
  /** Stops sending on this link. */
  close(): void
}

/** What a transport needs of a presence, whatever its state type: its scope and a way to link to it. */
export interface PresenceEndpoint {
  readonly scope: string
  connect(send: (bytes: Uint8Array) => void): PresenceLink
}

type Sender = (bytes: Uint8Array) => void

/** Least time between two answers to peers that arrived (each arrival asks everyone to announce). */
const ANSWER_GAP_MS = 1_000

/**
 * Ephemeral "who is here" for one scope (a database, or the whole tenant): each device announces a
 * small state (a cursor, a name), signed by the device and encrypted under the scope's key, on
 * every link it is connected to. Nothing is stored anywhere. A peer's state expires after the
 * timeout unless it refreshes (a device with a state refreshes it every third of the timeout by
 * itself); a message from a device the tenant no longer admits, from another tenant or scope, or
 * older than one already taken from its sender (a replay) is dropped.
 *
 * ```ts
 * db.presence.set({ name: 'Ada', cursor: 42 })
 * db.presence.subscribe((peers) => render(peers))
 * ```
 */
export class Presence<T = unknown> implements PresenceEndpoint {
  readonly scope: string
  /** This device's key, base64url: how peers list it. */
  readonly device: string
  readonly #o: PresenceOptions
  readonly #timeoutMs: number
  readonly #now: () => number
  readonly #links = new Set<Sender>()
  readonly #peers = new Map<string, PresencePeer<T>>()
  /** Newest seq taken per sender, and until when it is remembered. */
  readonly #seen = new Map<string, { seq: number; until: number }>()
  readonly #listeners = new Set<(peers: PresencePeer<T>[]) => void>()
  #state: { value: T } | undefined
  #seq = 0
  #lastAnswer = 0
  #answerTimer: ReturnType<typeof setTimeout> | undefined
  #refreshTimer: ReturnType<typeof setInterval> | undefined
  #expiryTimer: ReturnType<typeof setTimeout> | undefined
  #closed = false

  constructor(options: PresenceOptions) {
    this.#o = options
    this.scope = options.scope
    this.device = toBase64Url(options.signer.publicKey)
    this.#timeoutMs = Math.max(1_000, options.timeoutMs ?? DEFAULT_PRESENCE_TIMEOUT_MS)
    this.#now = options.now ?? Date.now
  }

  /** This device's own state, if it announced one. */
  get state(): T | undefined {
    return this.#state?.value
  }

  /** The time after which a silent peer is gone. */
  get timeoutMs(): number {
    return this.#timeoutMs
  }

  /**
   * Announces this device's state on every link, now and every third of the timeout, until
   * {@link leave}. `WEFT_PAYLOAD_TOO_LARGE` when it encodes to more than
   * `PRESENCE_LIMITS.maxStateBytes`.
   */
  set(state: T): void {
    if (this.#closed) return
    const message = this.#message({ kind: 'state', state, ask: false })
    this.#state = { value: state }
    this.#broadcast(message)
    this.#refresh()
  }

  /** Tells the peers this device left, and stops refreshing. */
  leave(): void {
    if (this.#closed || !this.#state) return
    this.#state = undefined
    this.#refresh()
    this.#broadcast(this.#message({ kind: 'leave' }))
  }

  /** The devices present now (not this one), by device key. */
  peers(): PresencePeer<T>[] {
    this.#expire()
    return [...this.#peers.values()]
  }

  /** Calls `listener` with the peers whenever one arrives, changes, leaves or expires; returns an unsubscribe function. */
  subscribe(listener: (peers: PresencePeer<T>[]) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Adds a link: `send` is called with each message this device sends; the returned link takes
   * the messages that arrive on it. On connecting, this device announces itself and asks the
   * peers on the link to do the same.
   */
  connect(send: (bytes: Uint8Array) => void): PresenceLink {
    const sender: Sender = (bytes) => {
      try {
        send(bytes)
      } catch {
        // A link that cannot send now (closed socket): presence is best effort.
      }
    }
    this.#links.add(sender)
    queueMicrotask(() => {
      if (!this.#links.has(sender) || this.#closed) return
      const hello = this.#state
        ? this.#message({ kind: 'state', state: this.#state.value, ask: true })
        : this.#message({ kind: 'hello' })
      sender(hello)
    })
    this.#refresh()
    return {
      receive: (bytes) => this.receive(bytes),
      close: () => {
        this.#links.delete(sender)
        this.#refresh()
      },
    }
  }

  /** Takes one message from any link: see {@link PresenceReceipt}. Never throws. */
  receive(bytes: Uint8Array): PresenceReceipt {
    if (this.#closed) return refused(ErrorCodes.CLOSED, 'presence is closed')
    try {
      return this.#take(bytes)
    } catch (err) {
      const w = toWeftError(err, ErrorCodes.BAD_PRESENCE)
      return refused(w.code, w.message)
    }
  }

  /** Drops the peers the tenant no longer admits (a device was removed). Databases call it on trust changes. */
  recheck(): void {
    let changed = false
    for (const p of this.#peers.values()) {
      if (!this.#admits(p.device)) {
        this.#peers.delete(p.device)
        changed = true
      }
    }
    if (changed) this.#emit()
  }

  /** Leaves, drops every link and peer, and stops every timer. */
  close(): void {
    if (this.#closed) return
    this.leave()
    this.#closed = true
    this.#links.clear()
    this.#peers.clear()
    this.#listeners.clear()
    clearTimeout(this.#answerTimer)
    clearTimeout(this.#expiryTimer)
    clearInterval(this.#refreshTimer)
  }

  #take(bytes: Uint8Array): PresenceReceipt {
    const parsed = parsePresenceMessage(bytes)
    const h = parsed.header
    if (h.tenant !== this.#o.tenantId || h.scope !== this.scope)
      return refused(ErrorCodes.BAD_PRESENCE, 'presence message for another tenant or scope')
    if (bytesEqual(h.sender, this.#o.signer.publicKey)) return refused(ErrorCodes.BAD_PRESENCE, 'our own message')
    const device = toBase64Url(h.sender)
    if (!this.#o.admits(h.sender))
      return refused(ErrorCodes.UNTRUSTED_SIGNER, 'the sender is not a device this tenant admits')
    const now = this.#now()
    if (h.at < now - this.#timeoutMs || h.at > now + PRESENCE_LIMITS.maxClockSkewMs)
      return refused(ErrorCodes.PRESENCE_STALE, 'presence message outside the timeout window')
    const seen = this.#seen.get(device)
    if (seen && h.seq <= seen.seq) return refused(ErrorCodes.PRESENCE_STALE, 'presence message older than one taken')
    if (!this.#peers.has(device) && this.#peers.size >= PRESENCE_LIMITS.maxPeers)
      return refused(ErrorCodes.RATE_LIMITED, 'too many peers present')
    const body = openPresenceMessage(parsed, this.#o.keyBag)
    this.#seen.set(device, { seq: h.seq, until: now + this.#timeoutMs + 2 * PRESENCE_LIMITS.maxClockSkewMs })
    if (body.kind === 'leave') {
      if (this.#peers.delete(device)) this.#emit()
    } else {
      if (body.kind === 'state')
        this.#peers.set(device, { device, state: body.state as T, lastSeen: now, expiresAt: now + this.#timeoutMs })
      if (body.kind === 'hello' || body.ask) this.#answer()
      if (body.kind === 'state') this.#emit()
      this.#scheduleExpiry()
    }
    return { ok: true, device }
  }

  #admits(device: string): boolean {
    try {
      return this.#o.admits(fromBase64Url(device))
    } catch {
      return false
    }
  }

  #message(body: PresenceBody): Uint8Array {
    const keyId = this.#o.keyId()
    const { version, key } = this.#o.keyBag.current(keyId)
    const at = this.#now()
    this.#seq = Math.max(this.#seq + 1, at)
    return createPresenceMessage(body, {
      header: { tenant: this.#o.tenantId, scope: this.scope, seq: this.#seq, at, keyId, keyVersion: version },
      signer: this.#o.signer,
      key,
    })
  }

  #broadcast(message: Uint8Array): void {
    for (const send of this.#links) send(message)
  }

  /** A peer arrived and asked: announce our state, at most once a second. */
  #answer(): void {
    if (!this.#state || this.#answerTimer) return
    const wait = Math.max(0, this.#lastAnswer + ANSWER_GAP_MS - this.#now())
    this.#answerTimer = setTimeout(() => {
      this.#answerTimer = undefined
      this.#lastAnswer = this.#now()
      if (this.#state && !this.#closed)
        this.#broadcast(this.#message({ kind: 'state', state: this.#state.value, ask: false }))
    }, wait)
    unref(this.#answerTimer)
  }

  /** Refreshes our state every third of the timeout while there is one and a link to send it on. */
  #refresh(): void {
    const want = this.#state !== undefined && this.#links.size > 0 && !this.#closed
    if (want && !this.#refreshTimer) {
      this.#refreshTimer = setInterval(() => {
        if (this.#state) this.#broadcast(this.#message({ kind: 'state', state: this.#state.value, ask: false }))
      }, this.#timeoutMs / 3)
      unref(this.#refreshTimer)
    } else if (!want && this.#refreshTimer) {
      clearInterval(this.#refreshTimer)
      this.#refreshTimer = undefined
    }
  }

  /** Drops the peers whose time ran out, and the replay marks past their window; true when a peer went. */
  #expire(): boolean {
    const now = this.#now()
    let gone = false
    for (const p of this.#peers.values()) {
      if (p.expiresAt <= now || !this.#admits(p.device)) {
        this.#peers.delete(p.device)
        gone = true
      }
    }
    for (const [d, s] of this.#seen) if (s.until <= now) this.#seen.delete(d)
    return gone
  }

  #scheduleExpiry(): void {
    clearTimeout(this.#expiryTimer)
    let next = Infinity
    for (const p of this.#peers.values()) next = Math.min(next, p.expiresAt)
    if (next === Infinity) return
    this.#expiryTimer = setTimeout(
      () => {
        if (this.#expire()) this.#emit()
        this.#scheduleExpiry()
      },
      Math.max(0, next - this.#now()) + 5,
    )
    unref(this.#expiryTimer)
  }

  #emit(): void {
    const peers = [...this.#peers.values()]
    for (const l of [...this.#listeners]) {
      try {
        l(peers)
      } catch (err) {
        queueMicrotask(() => {
          throw err
        })
      }
    }
  }
}

function refused(code: ErrorCode, message: string): PresenceReceipt {
  return { ok: false, code, message }
}

function unref(timer: unknown): void {
  ;(timer as { unref?: () => void }).unref?.()
}
