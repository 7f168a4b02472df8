import type { PresenceEndpoint } from './Presence.ts'

/**
 * Links two in-process presences (two tenants' devices in one app, tests): each one's messages
 * reach the other asynchronously, as over a network, verified and decrypted like any other.
 * Returns a function that unlinks them.
 */
export function linkPresence(a: PresenceEndpoint, b: PresenceEndpoint): () => void {
  let open = true
  const deliver = (to: () => { receive(bytes: Uint8Array): unknown }) => (bytes: Uint8Array) =>
    queueMicrotask(() => {
      if (open) to().receive(bytes)
    })
  const toA = a.connect(deliver(() => toB))
  const toB = b.connect(deliver(() => toA))
  return () => {
    open = false
    toA.close()
    toB.close()
  }
}
