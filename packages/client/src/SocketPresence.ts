import type { PresenceEndpoint, PresenceLink } from '@weft/core'
import type { ClientSocketMessage, ServerSocketMessage } from '@weft/protocol'

type PresenceMessage = Extract<ServerSocketMessage, { type: 'presence' | 'presence-refused' }>

/**
 * The presences a live socket carries: on each connection it watches their scopes on the relay
 * and links each one to the socket; it hands the presence messages the relay passes on to the
 * presence of their scope. A message the relay refused (over its rate, too large) is counted,
 * and the socket stays up.
 */
export class SocketPresence {
  readonly #presences: ReadonlyMap<string, PresenceEndpoint>
  readonly #links = new Map<string, PresenceLink>()
  #refused = 0

  constructor(presences: readonly PresenceEndpoint[]) {
    this.#presences = new Map(presences.map((p) => [p.scope, p]))
  }

  /** Presence messages of this client the relay refused, since it was made. */
  get refused(): number {
    return this.#refused
  }

  /** A socket opened: watch every scope, and link every presence to it through `send`. */
  open(send: (m: ClientSocketMessage) => void): void {
    this.close()
    for (const [scope, presence] of this.#presences) {
      send({ type: 'presence-watch', scope })
      this.#links.set(
        scope,
        presence.connect((data) => send({ type: 'presence', scope, data })),
      )
    }
  }

  /** Takes a presence message the relay sent. */
  receive(m: PresenceMessage): void {
    if (m.type === 'presence-refused') this.#refused++
    else this.#links.get(m.scope)?.receive(m.data)
  }

  /** The socket closed: unlink every presence from it (the peers expire unless they come back). */
  close(): void {
    for (const l of this.#links.values()) l.close()
    this.#links.clear()
  }
}
