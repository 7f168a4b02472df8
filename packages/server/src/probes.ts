import type { IncomingMessage, ServerResponse } from 'node:http'
import { PROTOCOL_VERSION, type ServerIdentity } from '@weft/protocol'

/** What the probe endpoints report about the server. */
export interface ProbeState {
  readonly serverId: string
  readonly live: boolean
  readonly liveConnections: number
}

/**
 * Answers `GET /v1/health` (for load balancers and probes) and `GET /v1/identity` (who this server
 * is, for clients to sign for): unauthenticated, not rate limited, touching no tenant. False when
 * the request is neither.
 */
export function answerProbe(req: IncomingMessage, res: ServerResponse, state: ProbeState): boolean {
  if (req.method !== 'GET') return false
  let body: object
  if (req.url === '/v1/health') {
    body = {
      ok: state.live,
      protocol: PROTOCOL_VERSION,
      serverId: state.serverId,
      liveConnections: state.liveConnections,
    }
  } else if (req.url === '/v1/identity') {
    body = { serverId: state.serverId, protocol: PROTOCOL_VERSION } satisfies ServerIdentity
  } else {
    return false
  }
  const status = req.url === '/v1/health' && !state.live ? 503 : 200
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
  return true
}
