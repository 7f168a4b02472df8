import { createHmac, timingSafeEqual } from 'node:crypto'
import type { TenantEvent } from './TenantEventBus.ts'
import type { WebhookConfig } from './TenantRecord.ts'

/** How webhooks are delivered. */
export interface WebhookOptions {
  /** Events waiting per webhook; past it the oldest waiting event is dropped. Default 1,000. */
  readonly maxQueue?: number
  /** Attempts per event before it is given up. Default 6. */
  readonly maxAttempts?: number
  /** Wait before the first retry, doubled for each next one, ms. Default 1,000. */
  readonly initialBackoffMs?: number
  /** Longest wait between attempts, ms. Default 60,000. */
  readonly maxBackoffMs?: number
  /** Time a delivery may take, ms. Default 10,000. */
  readonly timeoutMs?: number
}

interface Queue {
  readonly hook: WebhookConfig
  readonly events: TenantEvent[]
  running: boolean
}

/**
 * The `weft-signature` header of a webhook body: `t=<ms>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
 * under the webhook's secret. The time is signed, so a receiver can refuse old deliveries.
 */
export function signWebhook(secret: string, body: string, t: number): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`
}

/**
 * Checks a webhook delivery as a receiver: the `weft-signature` header against the raw body and
 * the shared secret, in constant time, and that it was signed within `toleranceMs` of now.
 */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string | undefined,
  options: { toleranceMs?: number; now?: number } = {},
): boolean {
  const m = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(header ?? '')
  if (!m) return false
  const t = Number(m[1])
  if (Math.abs((options.now ?? Date.now()) - t) > (options.toleranceMs ?? 5 * 60_000)) return false
  const expected = Buffer.from(signWebhook(secret, body, t).slice(-64), 'hex')
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'))
}

/**
 * Posts each tenant's events to the tenant's webhooks, one event at a time per webhook in order,
 * signed with the webhook's secret, retried with exponential backoff on a failure or a non-2xx
 * answer. Each webhook's queue is bounded: a webhook that stays down loses its oldest events (counted
 * in `dropped`), never the server's memory.
 */
export class WebhookDispatcher {
  readonly #queues = new Map<string, Queue>()
  readonly #options: Required<WebhookOptions>
  readonly #log: (message: string, error?: unknown) => void
  /** Backoff waits under way, each with what ends it early (on close). */
  readonly #timers = new Map<ReturnType<typeof setTimeout>, () => void>()
  #closed = false
  /** Events dropped because a webhook's queue was full, and events given up after every attempt. */
  dropped = 0
  failed = 0
  delivered = 0

  constructor(options: WebhookOptions = {}, log: (message: string, error?: unknown) => void = () => {}) {
    this.#options = {
      maxQueue: options.maxQueue ?? 1_000,
      maxAttempts: options.maxAttempts ?? 6,
      initialBackoffMs: options.initialBackoffMs ?? 1_000,
      maxBackoffMs: options.maxBackoffMs ?? 60_000,
      timeoutMs: options.timeoutMs ?? 10_000,
    }
    this.#log = log
  }

  /** Queues `event` for each of `hooks` (the event's tenant's webhooks). */
  deliver(event: TenantEvent, hooks: readonly WebhookConfig[]): void {
    if (this.#closed) return
    for (const hook of hooks) {
      const id = `${event.tenant}\n${hook.url}`
      let q = this.#queues.get(id)
      if (!q) this.#queues.set(id, (q = { hook, events: [], running: false }))
      if (q.events.length >= this.#options.maxQueue) {
        q.events.splice(q.running ? 1 : 0, 1)
        this.dropped++
      }
      q.events.push(event)
      if (!q.running) void this.#run(id, q)
    }
  }

  /** Events waiting in every queue. */
  get waiting(): number {
    let n = 0
    for (const q of this.#queues.values()) n += q.events.length
    return n
  }

  close(): void {
    this.#closed = true
    for (const [t, wake] of this.#timers) {
      clearTimeout(t)
      wake()
    }
    this.#timers.clear()
    this.#queues.clear()
  }

  async #run(id: string, q: Queue): Promise<void> {
    q.running = true
    try {
      while (q.events.length && !this.#closed) {
        const event = q.events[0]!
        if (await this.#attempts(q.hook, event)) this.delivered++
        else this.failed++
        q.events.shift()
      }
    } finally {
      q.running = false
      if (this.#queues.get(id) === q && q.events.length === 0) this.#queues.delete(id)
    }
  }

  async #attempts(hook: WebhookConfig, event: TenantEvent): Promise<boolean> {
    const body = JSON.stringify(event)
    const { maxAttempts, initialBackoffMs, maxBackoffMs, timeoutMs } = this.#options
    for (let attempt = 0; attempt < maxAttempts && !this.#closed; attempt++) {
      if (attempt > 0) await this.#sleep(Math.min(maxBackoffMs, initialBackoffMs * 2 ** (attempt - 1)))
      try {
        const res = await fetch(hook.url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            'content-type': 'application/json',
            'weft-event-id': String(event.id),
            'weft-signature': signWebhook(hook.secret, body, Date.now()),
          },
          body,
        })
        await res.body?.cancel()
        if (res.ok) return true
      } catch (err) {
        if (attempt === maxAttempts - 1) this.#log(`webhook ${hook.url} failed`, err)
      }
    }
    return false
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#timers.delete(t)
        resolve()
      }, ms)
      t.unref?.()
      this.#timers.set(t, resolve)
    })
  }
}
