/** Grants between tenants in different processes, relayed through a Weft server. */
export { GrantRelay } from './GrantRelay.ts'
export { RelayPeer } from './RelayPeer.ts'
export { RelaySpace } from './RelaySpace.ts'
export { relaySpaceOf } from './relaySpaceOf.ts'
export type { GrantRelayOptions } from './GrantRelay.ts'
export type { RelaySpaceOptions } from './RelaySpace.ts'
