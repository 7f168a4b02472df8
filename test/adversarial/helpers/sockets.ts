import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { decodeBody, encodeBody, type ClientSocketMessage, type ServerSocketMessage } from '@weft/protocol'
import { WebSocket } from 'ws'

/** A signed-in live socket that records every message with the time it arrived. */
export interface RecordingSocket {
  readonly ws: WebSocket
  readonly messages: { at: number; m: ServerSocketMessage }[]
  /** Resolves with the close code and reason once the socket closes. */
  readonly closed: Promise<{ code: number; reason: string; at: number }>
  send(m: ClientSocketMessage): void
  /** Entries received for `db` after time `at` (ms since the epoch), all messages counted. */
  entriesAfter(at: number, db?: string): number
}

/** Opens `/v1/t/<tenant>/ws` with a session token and records what arrives. */
export async function recordingSocket(url: string, tenant: string, token: string): Promise<RecordingSocket> {
  const ws = new WebSocket(
    `${url.replace(/^http/, 'ws')}/v1/t/${encodeURIComponent(tenant)}/ws?token=${encodeURIComponent(token)}`,
  )
  const messages: { at: number; m: ServerSocketMessage }[] = []
  ws.on('message', (data: Buffer) =>
    messages.push({
      at: Date.now(),
      m: decodeBody<ServerSocketMessage>(new Uint8Array(data), Number.MAX_SAFE_INTEGER),
    }),
  )
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
  )
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return {
    ws,
    messages,
    closed,
    send: (m) => ws.readyState === ws.OPEN && ws.send(encodeBody(m)),
    entriesAfter: (at, db) =>
      messages
        .filter((x) => x.at > at && x.m.type === 'entries' && (db === undefined || x.m.db === db))
        .reduce((n, x) => n + (x.m.type === 'entries' ? x.m.entries.length : 0), 0),
  }
}

/**
 * A WebSocket client that never reads: it opens the socket by hand over TCP, then stops reading
 * and only writes (masked) frames, so everything the server sends piles up on the server's side.
 */
export async function stalledSocket(
  url: string,
  tenant: string,
  token: string,
): Promise<{ send(m: ClientSocketMessage): void; socket: Socket }> {
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  socket.write(
    `GET /v1/t/${encodeURIComponent(tenant)}/ws?token=${encodeURIComponent(token)} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  await new Promise<void>((resolve, reject) => {
    let head = ''
    const onData = (d: Buffer) => {
      head += d.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.off('data', onData)
      socket.pause() // from here on, never read
      if (head.startsWith('HTTP/1.1 101')) resolve()
      else reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`))
    }
    socket.on('data', onData)
  })
  return {
    socket,
    send: (m) => {
      const payload = encodeBody(m)
      if (payload.length > 125) throw new Error('small frames only')
      const mask = randomBytes(4)
      const frame = Buffer.alloc(6 + payload.length)
      frame[0] = 0x82 // final, binary
      frame[1] = 0x80 | payload.length
      mask.copy(frame, 2)
      for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!
      socket.write(frame)
    },
  }
}

/** Samples a child process's RSS every few milliseconds while `run` runs; resolves with the peak. */
export async function peakRss<T>(rss: () => number, run: () => Promise<T>): Promise<{ peak: number; result: T }> {
  let peak = rss()
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rss())
    } catch {
      // the process is gone: the test's liveness check says so
    }
  }, 5)
  try {
    const result = await run()
    peak = Math.max(peak, rss())
    return { peak, result }
  } finally {
    clearInterval(timer)
  }
}
