import { ByteWriter, Domain, isServerSigner, serverSignerOf, verifyDetached, type ServerSigner, type SigningKeyPair } from '@weft/core'

/**
 * What a client signs to prove it holds a key: the server's random challenge, bound to the server
 * the client means to sign in to (its origin, `scheme://host[:port]`) and to the tenant. Binding the
 * server means a signature a client made for one server cannot be replayed by that server to sign
 * in to another as the client.
 */
function challengeBytes(server: string, tenant: string, challenge: Uint8Array): Uint8Array {
  return new ByteWriter().string(server).string(tenant).bytes(challenge).finish()
}

/**
 * Signs a server challenge (domain-separated, so it can never pass for an entry or registration).
 * `server` is the origin of the URL the client connects to, as {@link serverOrigin} gives it.
 */
export function signChallenge(server: string, tenant: string, challenge: Uint8Array, key: SigningKeyPair | ServerSigner): Uint8Array {
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

/** Checks a challenge signature made for `server` (an origin) and `tenant`. */
export function verifyChallenge(server: string, tenant: string, challenge: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return verifyDetached(Domain.serverChallenge, challengeBytes(server, tenant, challenge), signature, publicKey)
}
