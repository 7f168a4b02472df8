import type { MessagePort } from 'node:worker_threads'
import { NetworkAdapter, type Message, type PeerId, type PeerMetadata } from '@automerge/automerge-repo'

/** The two-step greeting each end sends before any Repo message. */
interface Greeting {
  readonly type: 'hello' | 'hello-back'
  readonly senderId: PeerId
  readonly peerMetadata?: PeerMetadata
}

/** What travels over the port: a greeting, or a Repo message as is. */
type PortMessage = Greeting | Message

function isGreeting(m: PortMessage): m is Greeting {
  return m.type === 'hello' || m.type === 'hello-back'
}

/**
 * An automerge-repo network adapter over one end of a Node `MessageChannel`: the same transport
 * automerge-repo's message-channel adapter uses between tabs and workers (structured clone of
 * each message). The two ends greet each other, then every Repo message is posted as is.
 */
export class MessagePortNetworkAdapter extends NetworkAdapter {
  readonly #port: MessagePort
  #ready = false
  #markReady!: () => void
  readonly #readyPromise = new Promise<void>((resolve) => (this.#markReady = resolve))
  #remote: PeerId | undefined

  constructor(port: MessagePort) {
    super()
    this.#port = port
  }

  isReady(): boolean {
    return this.#ready
  }

  whenReady(): Promise<void> {
    return this.#readyPromise
  }

  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata
    this.#port.on('message', (m: PortMessage) => this.#receive(m))
    this.#port.postMessage({ type: 'hello', senderId: peerId, peerMetadata })
  }

  send(message: Message): void {
    this.#port.postMessage(message)
  }

  disconnect(): void {
    if (this.#remote) this.emit('peer-disconnected', { peerId: this.#remote })
    this.#remote = undefined
    this.#port.close()
  }

  #receive(m: PortMessage): void {
    if (isGreeting(m)) {
      if (m.type === 'hello')
        this.#port.postMessage({ type: 'hello-back', senderId: this.peerId, peerMetadata: this.peerMetadata })
      if (this.#remote === m.senderId) return // both ends said hello first: announce the peer once
      this.#remote = m.senderId
      this.#ready = true
      this.#markReady()
      this.emit('peer-candidate', { peerId: m.senderId, peerMetadata: m.peerMetadata ?? {} })
      return
    }
    this.emit('message', m as Message)
  }
}
