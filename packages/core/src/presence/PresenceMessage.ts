/** What a presence message says, once verified and decrypted. */
export type PresenceBody =
  /** The sender is here with `state`; `ask`: it just arrived, peers should announce themselves. */
  | { readonly kind: 'state'; readonly state: unknown; readonly ask: boolean }
  /** The sender arrived without a state yet: peers should announce themselves. */
  | { readonly kind: 'hello' }
  /** The sender left. */
  | { readonly kind: 'leave' }

/** The signed fields of a presence message (the associated data of its ciphertext). */
export interface PresenceHeader {
  readonly v: 1
  readonly tenant: string
  /** A database name, or `''` for the tenant's own presence. */
  readonly scope: string
  /** The sending device's Ed25519 public key. */
  readonly sender: Uint8Array
  /** Grows with every message of the sender (at least its clock in ms): an older one is a replay. */
  readonly seq: number
  /** The sender's clock when it sent it (ms since the epoch). */
  readonly at: number
  readonly keyId: string
  readonly keyVersion: number
}

/**
 * A presence message as parsed from untrusted bytes: the header and the exact bytes that were
 * signed and serve as associated data, not yet verified.
 */
export interface ParsedPresence {
  readonly header: PresenceHeader
  /** The exact header bytes received (associated data of the ciphertext). */
  readonly headerBytes: Uint8Array
  /** The exact signed bytes received (header, nonce and ciphertext). */
  readonly signed: Uint8Array
  readonly nonce: Uint8Array
  readonly ciphertext: Uint8Array
  readonly signature: Uint8Array
}
