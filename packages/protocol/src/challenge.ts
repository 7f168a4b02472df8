import {
  ByteWriter,
  Domain,
  isServerSigner,
  serverSignerOf,
  verifyDetached,
  type ServerSigner,
  type SigningKeyPair,
} from '@weft/core/backend'

/** The server a sign-in is made for: the origin the client reaches it by, and the server's own identity. */
export interface SignInTarget {
  /** Origin of the URL the client connects to (`scheme://host[:port]`), as {@link serverOrigin} gives it. */
  readonly origin: string
  /** The server's identity (`GET /v1/identity`, or the `serverId` of its challenge answer). */
  readonly serverId: string
}

/**
 * What a client signs to prove it holds a key: the server's random challenge, bound to the server
 * the client means to sign in to (its origin and its identity) and to the tenant. Binding the
 * server means a signature a client made for one server cannot be replayed by that server, or by
 * anyone who saw it, to sign in to another as the client.
 */
function challengeBytes(server: SignInTarget, tenant: string, challenge: Uint8Array): Uint8Array {
  return new ByteWriter().string(server.origin).string(server.serverId).string(tenant).bytes(challenge).finish()
}

/** Signs a server challenge (domain-separated, so it can never pass for an entry or registration). */
export function signChallenge(
  server: SignInTarget,
  tenant: string,
  challenge: Uint8Array,
  key: SigningKeyPair | ServerSigner,
): Uint8Array {
  return asServerSigner(key).sign(Domain.serverChallenge, challengeBytes(server, tenant, challenge))
}

/** The origin of a server URL (`https://sync.example.com/base` → `https://sync.example.com`): what a sign-in is bound to. */
export function serverOrigin(url: string): string {
  return new URL(url).origin
}

/** A key pair or a tenant's server signer, as a {@link ServerSigner}. */
export function asServerSigner(key: SigningKeyPair | ServerSigner): ServerSigner {
  return isServerSigner(key) ? key : serverSignerOf(key)
}

/** Checks a challenge signature made for `server` and `tenant`. */
export function verifyChallenge(
  server: SignInTarget,
  tenant: string,
  challenge: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  return verifyDetached(Domain.serverChallenge, challengeBytes(server, tenant, challenge), signature, publicKey)
}
