import {
  ErrorCodes,
  fromBase64Url,
  packValue,
  toBase64Url,
  unpackValue,
  WeftError,
  type KeyValueStore,
} from '@weft/core/backend'
import { MAIL_LIMITS, type MailBodies, type MailMessage } from '@weft/protocol'
import { MailIndex, type MailMeta } from './MailIndex.ts'
import type { ClusterState } from './cluster/ClusterState.ts'

const SEQ_DIGITS = 12

/** Tenants' indexes kept in memory at most; the least recently used idle one is dropped past it (and read again when needed). */
const MAX_OPEN_INDEXES = 1_000

/** The mailbox limits of one tenant (from its quota). */
export interface MailQuota {
  readonly maxMailMessagesPerTenant: number
  readonly maxMailBytesPerTenant: number
}

/** A message as stored: `mail/<tenant>/<seq>`. */
interface StoredMessage {
  readonly from: Uint8Array
  readonly body: Uint8Array
  readonly to?: Uint8Array
  readonly topic?: string
  readonly set?: number
}

/**
 * Each tenant's mailbox: small opaque messages its members leave for each other (a grant's
 * issuer leaves keys sealed to the partner in the grant's relay space, say). The server stores
 * the bytes, numbers them in arrival order and notes which member key posted them and which it is
 * addressed to; it never reads them. Bounded per message (`WEFT_PAYLOAD_TOO_LARGE`) and, in
 * messages and bytes, by the tenant's quota (`WEFT_QUOTA_EXCEEDED`). A message may supersede its
 * sender's earlier messages of a topic (the server keeps the newest set only), and the sender or
 * the addressee of a message may delete it.
 *
 * Storage: each message under `mail/<tenant>/<seq>`, what is known of it besides the body under
 * `mailmeta/<tenant>/<seq>`, the last number under `mailseq/<tenant>` (numbers are never reused).
 * A tenant's index is read once, when its mailbox is first used; after that no operation reads
 * more than the messages it returns.
 */
export class Mailbox {
  readonly #kv: KeyValueStore
  readonly #queues = new Map<string, Promise<unknown>>()
  readonly #indexes = new Map<string, Promise<MailIndex>>()
  #cluster: ClusterState | undefined

  constructor(kv: KeyValueStore) {
    this.#kv = kv
  }

  /**
   * Shares mailboxes with the other processes over the same storage: every operation runs under
   * the tenant's mailbox lock in every process, after reading the index again if another process
   * changed it, so numbers stay dense and quotas exact.
   */
  share(cluster: ClusterState): void {
    this.#cluster = cluster
  }

  /** Drops what is cached of `tenant` after its records were erased (the tenant was deleted). */
  forget(tenant: string): void {
    this.#indexes.delete(tenant)
  }

  /** Messages and body bytes the tenant's mailbox holds. */
  usage(tenant: string): Promise<{ messages: number; bytes: number }> {
    return this.#serial(
      tenant,
      async () => {
        const index = await this.#index(tenant)
        return { messages: index.count, bytes: index.bytes }
      },
      false,
    )
  }

  /** Stores a message from `from` (base64url member key) within the tenant's quota; returns its number. */
  put(tenant: string, from: string, req: unknown, quota: MailQuota): Promise<MailBodies['put']['res']> {
    let m: StoredMessage
    try {
      m = { from: fromBase64Url(from), ...parsePut(req) }
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#serial(tenant, async () => {
      const index = await this.#index(tenant)
      const seq = index.last + 1
      const set = m.set ?? seq
      const held = m.topic === undefined ? undefined : index.topic(from, m.topic)
      if (held && set < held.set) return { seq: 0, kept: false } // a newer set of its topic is held already
      const freed = held && set > held.set ? [...held.seqs] : []
      const freedBytes = freed.reduce((n, s) => n + index.get(s)!.bytes, 0)
      if (index.count - freed.length + 1 > quota.maxMailMessagesPerTenant) {
        throw new WeftError(
          ErrorCodes.QUOTA_EXCEEDED,
          `the tenant's mailbox holds its limit of ${quota.maxMailMessagesPerTenant} messages`,
        )
      }
      if (index.bytes - freedBytes + m.body.length > quota.maxMailBytesPerTenant) {
        throw new WeftError(
          ErrorCodes.QUOTA_EXCEEDED,
          `the tenant's mailbox holds its limit of ${quota.maxMailBytesPerTenant} bytes`,
        )
      }
      const meta: MailMeta = {
        seq,
        from,
        set,
        bytes: m.body.length,
        ...(m.to ? { to: toBase64Url(m.to) } : {}),
        ...(m.topic !== undefined ? { topic: m.topic } : {}),
      }
      await this.#kv.put(key(tenant, seq), packValue(m))
      await this.#kv.put(metaKey(tenant, seq), packValue(meta))
      await this.#kv.put(lastKey(tenant), packValue(seq))
      index.add(meta)
      await this.#drop(tenant, index, freed)
      return { seq }
    })
  }

  /** Messages after `after`, oldest first, at most `limit` (capped); read from `after` on, never the whole mailbox. */
  list(tenant: string, after: unknown, limit: unknown): Promise<MailBodies['list']['res']> {
    const from = Number.isSafeInteger(after) && (after as number) >= 0 ? (after as number) : 0
    const max =
      Number.isSafeInteger(limit) && (limit as number) > 0
        ? Math.min(limit as number, MAIL_LIMITS.maxList)
        : MAIL_LIMITS.maxList
    return this.#serial(
      tenant,
      async () => {
        const page = (await this.#index(tenant)).after(from, max)
        const messages: MailMessage[] = []
        for (const seq of page.seqs) {
          const bytes = await this.#kv.get(key(tenant, seq))
          if (!bytes) continue
          const m = unpackValue<StoredMessage>(bytes, MAIL_LIMITS.maxMessageBytes * 2)
          messages.push({
            seq,
            from: m.from,
            body: m.body,
            ...(m.to ? { to: m.to } : {}),
            ...(m.topic !== undefined ? { topic: m.topic } : {}),
          })
        }
        return { messages, more: page.more }
      },
      false,
    )
  }

  /**
   * Deletes messages `caller` (base64url key) posted or that are addressed to it. One it may not
   * delete refuses the whole request (`WEFT_FORBIDDEN`); numbers no longer held are skipped.
   */
  delete(tenant: string, caller: string, req: unknown): Promise<MailBodies['delete']['res']> {
    const seqs = (req as { seqs?: unknown } | undefined)?.seqs
    if (
      !Array.isArray(seqs) ||
      seqs.length > MAIL_LIMITS.maxDelete ||
      !seqs.every((s) => Number.isSafeInteger(s) && s > 0)
    ) {
      return Promise.reject(
        new WeftError(ErrorCodes.PROTOCOL, `delete names 0 to ${MAIL_LIMITS.maxDelete} message numbers`),
      )
    }
    return this.#serial(tenant, async () => {
      const index = await this.#index(tenant)
      const held = [...new Set(seqs as number[])].filter((s) => index.get(s))
      for (const s of held) {
        const m = index.get(s)!
        if (m.from !== caller && m.to !== caller) {
          throw new WeftError(ErrorCodes.FORBIDDEN, `message ${s} was neither posted by nor addressed to this key`)
        }
      }
      await this.#drop(tenant, index, held)
      return { deleted: held.length }
    })
  }

  /** Deletes messages from storage, then from the index. */
  async #drop(tenant: string, index: MailIndex, seqs: readonly number[]): Promise<void> {
    for (const s of seqs) {
      await this.#kv.delete(key(tenant, s))
      await this.#kv.delete(metaKey(tenant, s))
      index.remove(s)
    }
  }

  /**
   * The tenant's index, read from storage when not in memory (repairing what a crash between
   * writes left). Called only inside the tenant's queue, so an index is dropped only while no
   * operation of its tenant runs, and is never read twice at once.
   */
  #index(tenant: string): Promise<MailIndex> {
    let p = this.#indexes.get(tenant)
    if (p) {
      this.#indexes.delete(tenant) // most recently used last
    } else {
      p = this.#load(tenant)
      p.catch(() => this.#indexes.delete(tenant))
      for (const idle of this.#indexes.keys()) {
        if (this.#indexes.size < MAX_OPEN_INDEXES) break
        if (!this.#queues.has(idle)) this.#indexes.delete(idle)
      }
    }
    this.#indexes.set(tenant, p)
    return p
  }

  /** Tenants whose index is in memory now (bounded; for tests). */
  get openIndexes(): number {
    return this.#indexes.size
  }

  async #load(tenant: string): Promise<MailIndex> {
    const stored = (await this.#kv.keys(prefix(tenant))).map((k) => Number(k.slice(prefix(tenant).length)))
    const metas = new Map<number, MailMeta>()
    for (const k of await this.#kv.keys(metaPrefix(tenant))) {
      const raw = await this.#kv.get(k)
      if (raw) metas.set(Number(k.slice(metaPrefix(tenant).length)), unpackValue<MailMeta>(raw, 4096))
    }
    const held: MailMeta[] = []
    for (const seq of stored) {
      let meta = metas.get(seq)
      if (!meta) {
        // Stored before the index existed, or the server stopped between the two writes.
        const raw = await this.#kv.get(key(tenant, seq))
        if (!raw) continue
        const m = unpackValue<StoredMessage>(raw, MAIL_LIMITS.maxMessageBytes * 2)
        meta = {
          seq,
          from: toBase64Url(m.from),
          set: m.set ?? seq,
          bytes: m.body.length,
          ...(m.to ? { to: toBase64Url(m.to) } : {}),
          ...(m.topic !== undefined ? { topic: m.topic } : {}),
        }
        await this.#kv.put(metaKey(tenant, seq), packValue(meta))
      }
      metas.delete(seq)
      held.push(meta)
    }
    for (const orphan of metas.keys()) await this.#kv.delete(metaKey(tenant, orphan))
    const lastRaw = await this.#kv.get(lastKey(tenant))
    const index = new MailIndex(lastRaw ? unpackValue<number>(lastRaw, 64) : 0, held)
    // Messages an interrupted supersession left behind.
    const stale = held
      .filter((m) => m.topic !== undefined && m.set < index.topic(m.from, m.topic)!.set)
      .map((m) => m.seq)
    await this.#drop(tenant, index, stale)
    return index
  }

  /** Runs `fn` after every earlier operation of the same tenant, so numbers are dense, the quota exact, and the index one. */
  #serial<T>(tenant: string, fn: () => Promise<T>, write = true): Promise<T> {
    const cluster = this.#cluster
    const shared = () =>
      cluster!.section(`mail/${tenant}`, () => void this.#indexes.delete(tenant), fn, {
        write,
        lock: !this.#indexes.has(tenant),
      })
    const run = (this.#queues.get(tenant) ?? Promise.resolve()).then(cluster ? shared : fn)
    const tail = run.catch(() => undefined)
    this.#queues.set(tenant, tail)
    void tail.then(() => this.#queues.get(tenant) === tail && this.#queues.delete(tenant))
    return run
  }
}

/** Checks a `put` body: bytes within the size limit, an optional 32-byte addressee, topic and set. */
function parsePut(req: unknown): Omit<StoredMessage, 'from'> {
  const { body, to, topic, set } = (req ?? {}) as Record<string, unknown>
  if (!(body instanceof Uint8Array)) throw new WeftError(ErrorCodes.PROTOCOL, 'a message body is bytes')
  if (body.length > MAIL_LIMITS.maxMessageBytes) {
    throw new WeftError(ErrorCodes.PAYLOAD_TOO_LARGE, `a message is at most ${MAIL_LIMITS.maxMessageBytes} bytes`)
  }
  if (to !== undefined && !(to instanceof Uint8Array && to.length === 32))
    throw new WeftError(ErrorCodes.PROTOCOL, 'to is a 32-byte member key')
  if (
    topic !== undefined &&
    !(typeof topic === 'string' && topic.length > 0 && topic.length <= MAIL_LIMITS.maxTopicLength)
  ) {
    throw new WeftError(ErrorCodes.PROTOCOL, `a topic is a string of 1 to ${MAIL_LIMITS.maxTopicLength} characters`)
  }
  if (set !== undefined && !(topic !== undefined && Number.isSafeInteger(set) && (set as number) >= 0)) {
    throw new WeftError(ErrorCodes.PROTOCOL, 'set is a whole number ≥ 0, and goes with a topic')
  }
  return {
    body,
    ...(to ? { to } : {}),
    ...(topic !== undefined ? { topic } : {}),
    ...(set !== undefined ? { set: set as number } : {}),
  }
}

function prefix(tenant: string): string {
  return `mail/${tenant}/`
}

function key(tenant: string, seq: number): string {
  return prefix(tenant) + String(seq).padStart(SEQ_DIGITS, '0')
}

function metaPrefix(tenant: string): string {
  return `mailmeta/${tenant}/`
}

function metaKey(tenant: string, seq: number): string {
  return metaPrefix(tenant) + String(seq).padStart(SEQ_DIGITS, '0')
}

function lastKey(tenant: string): string {
  return `mailseq/${tenant}`
}
