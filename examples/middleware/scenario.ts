// What every middleware example does once the relay is mounted at `<app>/sync` inside an app whose
// own sign-in (a session header here, a cookie or JWT in a real app) decides which tenant a user
// belongs to: a device pushes a document through the mount, a WebSocket through the same mount
// receives it, and a user of another tenant who names this one is refused.
import type { IncomingMessage } from 'node:http'
import { TenantFactory, generateSigningKeyPair, type KdfParams } from '@weft/core'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { decodeBody, encodeBody, type ServerSocketMessage } from '@weft/protocol'
import { WebSocket } from 'ws'

/** The app's own sessions: which tenant each signed-in user works for. */
export const APP_SESSIONS = new Map([
  ['alice-session', 'acme'],
  ['bob-session', 'globex'],
])

/** The header the app's (made-up) sign-in puts its session in. */
export const SESSION_HEADER = 'x-app-session'

/** The tenant the app's authentication gives a request: the hook `createWeftHandler` calls. */
export function tenantOfSession(req: IncomingMessage): string | undefined {
  const session = req.headers[SESSION_HEADER]
  return typeof session === 'string' ? APP_SESSIONS.get(session) : undefined
}

/** What the scenario saw. */
export interface MiddlewareResult {
  /** The app's own route, served beside the relay. */
  readonly appRoute: string
  /** Status of a relay request without an app session (the app's gate refuses it). */
  readonly withoutSession: number
  /** Entries the device pushed through the mount. */
  readonly pushed: number
  /** Entries a WebSocket through the mount received. */
  readonly receivedOverSocket: number
  /** What the relay answered Bob (of globex) when he named acme. */
  readonly otherTenantRefused: string | undefined
}

/** A `fetch` that sends the app's session header, as a browser sends its cookie. */
function appFetch(session: string): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers)
    headers.set(SESSION_HEADER, session)
    return fetch(input, { ...init, headers })
  }
}

/** Runs the scenario against an app at `origin` with the relay mounted at `origin + '/sync'`. */
export async function exercise(origin: string, options: { kdf?: KdfParams } = {}): Promise<MiddlewareResult> {
  const sync = `${origin}/sync`
  const appRoute = await (await fetch(`${origin}/hello`)).text()
  const withoutSession = (await fetch(`${sync}/v1/identity`)).status

  const tenant = await new TenantFactory({ kdf: options.kdf }).createTenant({ tenantId: 'acme', password: 'pw' })
  const admin = generateSigningKeyPair()
  const device = generateSigningKeyPair()
  const alice = appFetch('alice-session')
  await registerMembers({
    url: sync,
    tenant: 'acme',
    admin,
    seq: 1,
    add: [tenant.signingKey, device.publicKey],
    fetch: alice,
  })
  const connection = new ServerConnection({ url: sync, tenant: 'acme', key: device, fetch: alice })
  const db = await tenant.openDB('orders')
  await db.createDocument({ data: { item: 'oak planks', qty: 3 } })
  const pushed = (await db.pushChangesTo(new RemoteChangeStore({ connection, db: 'orders' }))).transferred

  const token = await connection.token()
  const ws = new WebSocket(`${sync.replace('http', 'ws')}/v1/t/acme/ws?token=${token}`, {
    headers: { [SESSION_HEADER]: 'alice-session' },
  })
  const receivedOverSocket = await new Promise<number>((resolve, reject) => {
    ws.on('open', () => ws.send(encodeBody({ type: 'subscribe', db: 'orders', since: null })))
    ws.on('message', (data) => {
      const m = decodeBody<ServerSocketMessage>(new Uint8Array(data as Buffer), 1 << 20)
      if (m.type === 'entries') resolve(m.entries.length)
    })
    ws.on('error', reject)
  })
  ws.close()

  let otherTenantRefused: string | undefined
  try {
    await registerMembers({
      url: sync,
      tenant: 'acme',
      admin: generateSigningKeyPair(),
      seq: 1,
      add: [],
      fetch: appFetch('bob-session'),
    })
  } catch (err) {
    otherTenantRefused = (err as { code?: string }).code
  }
  await tenant.close()
  return { appRoute, withoutSession, pushed, receivedOverSocket, otherTenantRefused }
}
