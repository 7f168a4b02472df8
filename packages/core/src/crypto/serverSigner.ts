import { ErrorCodes, WeftError } from '../errors.ts'
import { Domain } from './domains.ts'
import { signDetached, type SigningKeyPair } from './sign.ts'

/**
 * The things a key signs for a Weft server: a sign-in challenge, a membership registration, and a
 * tenant control operation (a transfer or reset of the tenant id on that server).
 */
export type ServerDomain =
  typeof Domain.serverChallenge | typeof Domain.serverRegistration | typeof Domain.serverControl

/**
 * A key that signs for Weft servers and for nothing else. A tenant hands one out
 * (`tenant.serverSigner()`) so a client can sign in with the tenant's own identity without the
 * private key leaving the tenant: the domain separation means these signatures can never pass for
 * an entry, a grant or a sealed key.
 */
export interface ServerSigner {
  readonly publicKey: Uint8Array
  sign(domain: ServerDomain, message: Uint8Array): Uint8Array
  /**
   * The directory's membership records (signed `body.sig` strings) that prove this key is a device
   * of `tenant`, when it is this signer's tenant and has a directory (none otherwise): a server
   * connection for `tenant` hands them to the server before signing in, so a joined device is
   * admitted with no registration step.
   */
  directory?(tenant: string): Promise<readonly string[]>
}

/** A {@link ServerSigner} over a key pair; refuses any other domain with `WEFT_INVALID_ARGUMENT`. */
export function serverSignerOf(key: SigningKeyPair): ServerSigner {
  return {
    publicKey: key.publicKey,
    sign(domain, message) {
      if (
        domain !== Domain.serverChallenge &&
        domain !== Domain.serverRegistration &&
        domain !== Domain.serverControl
      ) {
        throw new WeftError(
          ErrorCodes.INVALID_ARGUMENT,
          'a server signer signs server challenges, registrations and tenant control operations only',
        )
      }
      return signDetached(domain, message, key.privateKey)
    },
  }
}

/** True for a {@link ServerSigner} (as opposed to a bare key pair). */
export function isServerSigner(key: SigningKeyPair | ServerSigner): key is ServerSigner {
  return typeof (key as ServerSigner).sign === 'function'
}
