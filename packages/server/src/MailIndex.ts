/** What the server knows of one stored message besides its body. */
export interface MailMeta {
  readonly seq: number
  /** Sender's key, base64url. */
  readonly from: string
  /** Addressee's key, base64url. */
  readonly to?: string
  readonly topic?: string
  /** The set of its topic it belongs to (its own seq when the sender named none). */
  readonly set: number
  /** Body bytes. */
  readonly bytes: number
}

/**
 * One tenant's mailbox, in memory: the numbers of the messages held (ascending), what is known of
 * each, the totals counted against the tenant's quota, and per sender and topic the newest set.
 * Built once from storage; `list` and the quota are answered from it without reading every key.
 */
export class MailIndex {
  /** The last number handed out: numbers are never reused, even after every message was deleted. */
  last: number
  bytes = 0
  readonly #seqs: number[] = []
  readonly #meta = new Map<number, MailMeta>()
  readonly #topics = new Map<string, { set: number; seqs: Set<number> }>()

  constructor(last: number, held: Iterable<MailMeta>) {
    this.last = last
    for (const m of [...held].sort((a, b) => a.seq - b.seq)) this.add(m)
  }

  get count(): number {
    return this.#seqs.length
  }

  get(seq: number): MailMeta | undefined {
    return this.#meta.get(seq)
  }

  /** The newest set held for a sender's topic, and its messages. */
  topic(from: string, topic: string): { readonly set: number; readonly seqs: ReadonlySet<number> } | undefined {
    return this.#topics.get(topicKey(from, topic))
  }

  /** Up to `max` numbers after `after`, ascending, and whether more follow. */
  after(after: number, max: number): { seqs: number[]; more: boolean } {
    let lo = 0
    let hi = this.#seqs.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#seqs[mid]! <= after) lo = mid + 1
      else hi = mid
    }
    return { seqs: this.#seqs.slice(lo, lo + max), more: this.#seqs.length - lo > max }
  }

  /** Records a message; numbers arrive ascending (the newest last), except while loading. */
  add(m: MailMeta): void {
    if (this.#meta.has(m.seq)) return
    const at =
      this.#seqs.length && this.#seqs[this.#seqs.length - 1]! > m.seq ? this.#insertAt(m.seq) : this.#seqs.length
    this.#seqs.splice(at, 0, m.seq)
    this.#meta.set(m.seq, m)
    this.bytes += m.bytes
    this.last = Math.max(this.last, m.seq)
    if (m.topic === undefined) return
    const key = topicKey(m.from, m.topic)
    const t = this.#topics.get(key)
    if (!t || m.set > t.set) this.#topics.set(key, { set: m.set, seqs: new Set([m.seq]) })
    else if (m.set === t.set) t.seqs.add(m.seq)
  }

  /** Forgets a message. */
  remove(seq: number): void {
    const m = this.#meta.get(seq)
    if (!m) return
    this.#meta.delete(seq)
    this.#seqs.splice(this.#insertAt(seq), 1)
    this.bytes -= m.bytes
    if (m.topic === undefined) return
    const key = topicKey(m.from, m.topic)
    const t = this.#topics.get(key)
    t?.seqs.delete(seq)
    if (t && t.seqs.size === 0) this.#topics.delete(key)
  }

  /** Index of the first number ≥ seq. */
  #insertAt(seq: number): number {
    let lo = 0
    let hi = this.#seqs.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#seqs[mid]! < seq) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

function topicKey(from: string, topic: string): string {
  return `${from}\n${topic}`
}
