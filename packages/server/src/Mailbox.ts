import { ErrorCodes, fromBase64Url, packValue, unpackValue, WeftError, type KeyValueStore } from '@weft/core'
import { MAIL_LIMITS, type MailBodies, type MailMessage } from '@weft/protocol'

const SEQ_DIGITS = 12

/**
 * Each tenant's mailbox: small opaque messages its members leave for each other (a grant's
 * issuer leaves keys sealed to the partner in the grant's relay space, say). The server stores
 * the bytes, numbers them in arrival order and notes which member key posted them; it never reads
 * them. Bounded per message and per tenant (`WEFT_PAYLOAD_TOO_LARGE`, `WEFT_QUOTA_EXCEEDED`).
 */
export class Mailbox {
  readonly #kv: KeyValueStore
  readonly #queues = new Map<string, Promise<unknown>>()
  /** Per tenant, once read from storage: how many messages it holds and the last number. */
  readonly #tallies = new Map<string, { count: number; last: number }>()

  constructor(kv: KeyValueStore) {
    this.#kv = kv
  }

  /** Stores a message from `from` (base64url member key); returns its number. */
  put(tenant: string, from: string, body: unknown): Promise<MailBodies['put']['res']> {
    if (!(body instanceof Uint8Array)) return Promise.reject(new WeftError(ErrorCodes.PROTOCOL, 'a message body is bytes'))
    if (body.length > MAIL_LIMITS.maxMessageBytes) {
      return Promise.reject(new WeftError(ErrorCodes.PAYLOAD_TOO_LARGE, `a message is at most ${MAIL_LIMITS.maxMessageBytes} bytes`))
    }
    // One writer per tenant at a time, so numbers are dense and the quota exact.
    const run = (this.#queues.get(tenant) ?? Promise.resolve()).then(async () => {
      const tally = await this.#tally(tenant)
      if (tally.count >= MAIL_LIMITS.maxMessages) {
        throw new WeftError(ErrorCodes.QUOTA_EXCEEDED, `the tenant's mailbox holds its limit of ${MAIL_LIMITS.maxMessages} messages`)
      }
      const seq = tally.last + 1
      await this.#kv.put(key(tenant, seq), packValue({ from: fromBase64Url(from), body }))
      tally.count++
      tally.last = seq
      return { seq }
    })
    this.#queues.set(tenant, run.catch(() => undefined))
    return run
  }

  async #tally(tenant: string): Promise<{ count: number; last: number }> {
    let t = this.#tallies.get(tenant)
    if (!t) {
      const keys = await this.#kv.keys(prefix(tenant))
      t = { count: keys.length, last: keys.length ? Number(keys[keys.length - 1]!.slice(prefix(tenant).length)) : 0 }
      this.#tallies.set(tenant, t)
    }
    return t
  }

  /** Messages after `after`, oldest first, at most `limit` (capped). */
  async list(tenant: string, after: unknown, limit: unknown): Promise<MailBodies['list']['res']> {
    const from = Number.isSafeInteger(after) && (after as number) >= 0 ? (after as number) : 0
    const max = Number.isSafeInteger(limit) && (limit as number) > 0 ? Math.min(limit as number, MAIL_LIMITS.maxList) : MAIL_LIMITS.maxList
    const keys = (await this.#kv.keys(prefix(tenant))).filter((k) => Number(k.slice(prefix(tenant).length)) > from)
    const messages: MailMessage[] = []
    for (const k of keys.slice(0, max)) {
      const bytes = await this.#kv.get(k)
      if (!bytes) continue
      const m = unpackValue<{ from: Uint8Array; body: Uint8Array }>(bytes, MAIL_LIMITS.maxMessageBytes * 2)
      messages.push({ seq: Number(k.slice(prefix(tenant).length)), from: m.from, body: m.body })
    }
    return { messages, more: keys.length > max }
  }
}

function prefix(tenant: string): string {
  return `mail/${tenant}/`
}

function key(tenant: string, seq: number): string {
  return prefix(tenant) + String(seq).padStart(SEQ_DIGITS, '0')
}
