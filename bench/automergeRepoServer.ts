/**
 * automerge-repo's own WebSocket sync server for the network sync bench, in its own process: a
 * `Repo` with no storage behind `NodeWSServerAdapter` (automerge-repo's sync-server, in memory),
 * which keeps what clients send and announces the documents of the current run (the last
 * `expect`) to a peer that connects (`sharePolicy`), so a receiver gets them without a `find` round trip per document. (With
 * the sync-server's own setting, never announce, a receiver's 1,000 concurrent finds on this loaded
 * 2-core machine ran into DocHandle's 60 s request timeout and came back unavailable.) Prints its URL;
 * then for each `expect` line on stdin (a JSON object of document id → sorted heads) prints
 * `have-all` once it holds every one of those documents at those heads.
 */
import { createInterface } from 'node:readline'
import type { AddressInfo } from 'node:net'
import * as A from '@automerge/automerge'
import { Repo, type DocHandle, type PeerId } from '@automerge/automerge-repo'
import { NodeWSServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocketServer } from 'ws'

/** The documents of the current run, which the server announces to a peer that connects. */
let announced = new Set<string>()
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
await new Promise((r) => wss.once('listening', r))
const repo = new Repo({
  network: [new NodeWSServerAdapter(wss as never)],
  peerId: 'sync-server' as PeerId,
  sharePolicy: async (_peer, documentId) => documentId !== undefined && announced.has(documentId),
})
console.log(JSON.stringify({ url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` }))

let expected = new Map<string, string>()
const watched = new Set<string>()
let poll: ReturnType<typeof setInterval> | undefined
const key = (doc: A.Doc<unknown>): string => [...A.getHeads(doc)].sort().join(',')
const check = (id: string, doc: A.Doc<unknown>): void => {
  if (expected.get(id) !== key(doc)) return
  expected.delete(id)
  if (expected.size > 0) return
  clearInterval(poll)
  console.log('have-all')
}
/**
 * Documents a client sends arrive as new handles without a `document` event, so new handles are
 * picked up every few milliseconds while an expectation is open; each is then checked on its own
 * `heads-changed` event and when it becomes ready.
 */
const scan = (): void => {
  for (const [id, handle] of Object.entries(repo.handles) as [string, DocHandle<unknown>][]) {
    if (watched.has(id)) continue
    watched.add(id)
    handle.on('heads-changed', ({ doc }) => check(id, doc))
    if (handle.isReady()) check(id, handle.doc())
    else void handle.whenReady().then(() => check(id, handle.doc()))
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.startsWith('expect ')) continue
  expected = new Map(Object.entries(JSON.parse(line.slice('expect '.length)) as Record<string, string>))
  announced = new Set(expected.keys())
  console.log('expecting')
  for (const [id, handle] of Object.entries(repo.handles)) if (handle.isReady()) check(id, handle.doc())
  if (expected.size > 0) poll = setInterval(scan, 5)
}
