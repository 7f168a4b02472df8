import type { IncomingMessage, ServerResponse } from 'node:http'
import { PROTOCOL_VERSION, type ServerIdentity } from '@weft/protocol'

/** What the probe endpoints report about the server. */
export interface ProbeState {
  readonly serverId: string
  readonly live: boolean
  readonly liveConnections: number
}

/** Paths of the load balancer's probes: liveness and readiness. */
export const PROBE_PATHS = { live: '/healthz', ready: '/readyz' } as const

/**
 * Answers `GET /v1/health` (for load balancers and probes), `GET /healthz` (liveness: 200 while
 * the process serves, draining or not) and `GET /v1/identity` (who this server is, for clients to
 * sign for): unauthenticated, not rate limited, touching no tenant. False when the request is
 * none of these (see {@link answerReadiness} for `GET /readyz`).
 */
export function answerProbe(req: IncomingMessage, res: ServerResponse, state: ProbeState): boolean {
  if (req.method !== 'GET') return false
  let body: object
  let status = 200
  if (req.url === '/v1/health') {
    body = {
      ok: state.live,
      protocol: PROTOCOL_VERSION,
      serverId: state.serverId,
      liveConnections: state.liveConnections,
    }
    if (!state.live) status = 503
  } else if (req.url === PROBE_PATHS.live) {
    body = { ok: true }
  } else if (req.url === '/v1/identity') {
    body = { serverId: state.serverId, protocol: PROTOCOL_VERSION } satisfies ServerIdentity
  } else {
    return false
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
  return true
}

/** Longest a readiness check waits for the storage. */
const STORAGE_CHECK_MS = 2_000

/**
 * Answers `GET /readyz`: 200 `{"ready":true}` while the server takes new work (not draining) and
 * its storage answers a read within 2 s, else 503 with the reason (`draining` or `storage`). False
 * for any other request.
 */
export async function answerReadiness(
  req: IncomingMessage,
  res: ServerResponse,
  state: { readonly draining: boolean; readonly checkStorage: () => Promise<unknown> },
): Promise<boolean> {
  if (req.method !== 'GET' || req.url !== PROBE_PATHS.ready) return false
  let reason: 'draining' | 'storage' | undefined = state.draining ? 'draining' : undefined
  if (!reason) {
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<never>((_, reject) => (timer = setTimeout(reject, STORAGE_CHECK_MS)))
    try {
      await Promise.race([state.checkStorage(), late])
    } catch {
      reason = 'storage'
    } finally {
      clearTimeout(timer)
    }
  }
  const body = reason ? { ready: false, reason } : { ready: true }
  res.writeHead(reason ? 503 : 200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
  return true
}
