import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TenantEvent, TenantEventBus } from './TenantEventBus.ts'

/** Bounds of one Server-Sent Events stream. */
export interface EventStreamLimits {
  /** Bytes a stream may have waiting to be sent; past it the subscriber is dropped. */
  readonly maxBufferedBytes: number
  /** Interval of keep-alive comments, ms. */
  readonly heartbeatMs: number
}

/** The SSE streams open now, for the server's own accounting. */
export class EventStreams {
  /** Open streams, with their tenant. */
  readonly #open = new Map<ServerResponse, string>()
  /** Subscribers dropped for reading too slowly, since start. */
  dropped = 0

  /** Bytes waiting in all open streams now (each is bounded by `maxBufferedBytes`). */
  bufferedBytes(): number {
    let n = 0
    for (const res of this.#open.keys()) n += res.writableLength
    return n
  }

  get size(): number {
    return this.#open.size
  }

  /**
   * Streams `tenant`'s events to `res` as Server-Sent Events until the client leaves. A client that
   * does not read is dropped (the response is destroyed) once more than `maxBufferedBytes` wait for
   * it: it never makes the server buffer without end.
   */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    bus: TenantEventBus,
    tenant: string,
    limits: EventStreamLimits,
  ): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    })
    res.write(': weft events\n\n')
    this.#open.set(res, tenant)
    const stop = () => {
      unsubscribe()
      clearInterval(beat)
      this.#open.delete(res)
    }
    const send = (text: string) => {
      if (res.writableLength + Buffer.byteLength(text) > limits.maxBufferedBytes) {
        this.dropped++
        stop()
        res.destroy()
        return
      }
      res.write(text)
    }
    const unsubscribe = bus.subscribe(tenant, (e: TenantEvent) =>
      send(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`),
    )
    const beat = setInterval(() => send(': keep-alive\n\n'), limits.heartbeatMs)
    beat.unref?.()
    req.once('close', stop)
    res.once('close', stop)
  }

  /** Ends the streams of `tenant` (deleted). */
  closeTenant(tenant: string): void {
    for (const [res, t] of this.#open) if (t === tenant) res.end()
  }

  /** Ends every stream, when the server closes. */
  closeAll(): void {
    for (const res of this.#open.keys()) res.destroy()
    this.#open.clear()
  }
}
