import { pino, type DestinationStream, type Logger } from 'pino'

/** Levels of the server's log, from most to least severe; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** True for the names of {@link LOG_LEVELS}. */
export function isLogLevel(value: unknown): value is LogLevel {
  return (LOG_LEVELS as readonly unknown[]).includes(value)
}

/**
 * What the server logs of one request: who (tenant), what (method, route), the outcome (status, a
 * refusal's code) and the cost (duration, bytes). Never a body, an entry, a key, a token or a
 * header: only these fields are ever written.
 */
export interface RequestRecord {
  readonly reqId: string
  readonly method: string
  /** The route's shape (`/v1/t/:tenant/db/:db/push`), not the raw path: no ids beyond the tenant. */
  readonly route: string
  readonly tenant?: string
  readonly status: number
  readonly durationMs: number
  /** The `WEFT_*` code of a refusal. */
  readonly code?: string
  readonly bytesIn?: number
  readonly bytesOut?: number
}

/**
 * The server's structured JSON log (pino): one line per request at `info` (refusals at `warn`,
 * server faults at `error`), plus the server's own messages. Writes to stdout unless given a
 * destination.
 */
export function createServerLogger(options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'weft-server' },
      // A message passed as an error is logged by name and message only: a stack is not a secret,
      // but an error's fields can be (a request's body in a parser's error, say).
      serializers: {
        err: (e: unknown) => (e instanceof Error ? { type: e.name, message: e.message } : { message: String(e) }),
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination(1),
  )
}

/** Logs one request at the level its outcome calls for. */
export function logRequest(log: Logger, r: RequestRecord): void {
  const fields = {
    reqId: r.reqId,
    method: r.method,
    route: r.route,
    ...(r.tenant !== undefined ? { tenant: r.tenant } : {}),
    status: r.status,
    durationMs: Math.round(r.durationMs * 10) / 10,
    ...(r.code !== undefined ? { code: r.code } : {}),
    ...(r.bytesIn !== undefined ? { bytesIn: r.bytesIn } : {}),
    ...(r.bytesOut !== undefined ? { bytesOut: r.bytesOut } : {}),
  }
  if (r.status >= 500) log.error(fields, 'request failed')
  else if (r.status >= 400) log.warn(fields, 'request refused')
  else log.info(fields, 'request')
}
