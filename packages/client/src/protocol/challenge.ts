import { ByteWriter, Domain, isServerSigner, serverSignerOf, verifyDetached, type ServerSigner, type SigningKeyPair } from '@weft/core'

/** What a client signs to prove it holds a key: the server's random challenge, bound to the tenant. */
function challengeBytes(tenant: string, challenge: Uint8Array): Uint8Array {
  return new ByteWriter().string(tenant).bytes(challenge).finish()
}

/** Signs a server challenge (domain-separated, so it can never pass for an entry or registration). */
export function signChallenge(tenant: string, challenge: Uint8Array, key: SigningKeyPair | ServerSigner): Uint8Array {
  return asServerSigner(key).sign(Domain.serverChallenge, challengeBytes(tenant, challenge))
}

/** A key pair or a tenant's server signer, as a {@link ServerSigner}. */
export function asServerSigner(key: SigningKeyPair | ServerSigner): ServerSigner {
  return isServerSigner(key) ? key : serverSignerOf(key)
}

/** Checks a challenge signature. */
export function verifyChallenge(tenant: string, challenge: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return verifyDetached(Domain.serverChallenge, challengeBytes(tenant, challenge), signature, publicKey)
}
