import { generateSigningKeyPair, type SigningKeyPair } from '@weft/core/backend'
import { EntryFactory } from '@weft/core/testing'
import { registerMembers, ServerConnection } from '@weft/client'
import type { PushResult, WireEntry } from '@weft/protocol'
import { WebSocket } from 'ws'

/** A made-up admin key for tests, in the key format (`weft_<16>_<43>`). */
export const TEST_ADMIN_KEY = `weft_${'A'.repeat(16)}_${'B'.repeat(43)}`

/** The answer of an admin API call: status and parsed JSON (or text). */
export interface AdminAnswer {
  readonly status: number
  readonly body: any // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Calls the admin API (or any JSON endpoint) with an API key. */
export async function admin(
  url: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<AdminAnswer> {
  const res = await fetch(url + path, {
    method,
    headers: {
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: NDJSON or text, kept as is
  }
  return { status: res.status, body }
}

/** A registered tenant with one member device and an entry author. */
export async function memberOf(url: string, tenant: string) {
  const adminKey = generateSigningKeyPair()
  const factory = new EntryFactory(4)
  const key: SigningKeyPair = generateSigningKeyPair()
  await registerMembers({ url, tenant, admin: adminKey, seq: 1, add: [factory.signer.publicKey, key.publicKey] })
  return memberAt(url, { tenant, adminKey, factory, key })
}

/** The same member signed in at `url` (another process over the same storage, say). */
export function memberAt(
  url: string,
  m: { tenant: string; adminKey: SigningKeyPair; factory: EntryFactory; key: SigningKeyPair },
) {
  const { tenant, adminKey, factory, key } = m
  const connection = new ServerConnection({ url, tenant, key })
  let n = 0
  return {
    tenant,
    /** The member device's key. */
    key,
    /** The registered admin (it signs resets and transfers). */
    adminKey,
    connection,
    factory,
    /** `count` new entries with `payload` bytes of ciphertext each. */
    entries: (count: number, payload = 100): WireEntry[] =>
      Array.from({ length: count }, () => factory.entry(n++, [], payload)).map((e) => ({
        hash: e.hash,
        bytes: e.bytes,
      })),
    push: (entries: WireEntry[], db = 'notes'): Promise<PushResult[]> =>
      connection.db(db, 'push', { entries }).then((r) => r.results),
    /** Opens the tenant's socket; resolves with it once open, or with the refusal's HTTP status. */
    socket: async (signedIn?: string): Promise<{ ws?: WebSocket; status: number; body?: string }> => {
      const token = signedIn ?? (await connection.token())
      return new Promise((resolve) => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}${connection.tenantPath}/ws?token=${token}`)
        ws.on('unexpected-response', (_req, res) => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c.toString()))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        })
        ws.on('open', () => resolve({ ws, status: 101 }))
        ws.on('error', () => {})
      })
    },
  }
}

/** Resolves with the close code and reason of a socket. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
}

/** An SSE stream's events as they arrive (parsed `data:` lines). */
export async function openEvents(url: string, path: string, key: string) {
  const controller = new AbortController()
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${key}` }, signal: controller.signal })
  const events: { type: string; tenant: string; data: Record<string, unknown> }[] = []
  const done = (async () => {
    if (!res.body) return
    const decoder = new TextDecoder()
    let buffer = ''
    const reader = res.body.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        buffer += decoder.decode(value, { stream: true })
        let i: number
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i)
          buffer = buffer.slice(i + 2)
          const data = block.split('\n').find((l) => l.startsWith('data: '))
          if (data) events.push(JSON.parse(data.slice(6)))
        }
      }
    } catch {
      // aborted
    }
  })()
  return { status: res.status, events, close: () => controller.abort(), done }
}
