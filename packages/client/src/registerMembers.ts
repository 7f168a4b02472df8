import type { ServerSigner, SigningKeyPair } from '@weft/core/backend'
import { createRegistration, type Bodies } from '@weft/protocol'
import { ServerConnection } from './ServerConnection.ts'

/** A membership change the tenant admin sends to a server. */
export interface RegisterMembersOptions {
  readonly url: string
  readonly tenant: string
  /** The admin key. The first registration for a tenant makes its signer the admin. */
  readonly admin: SigningKeyPair | ServerSigner
  /** Higher than the previous registration's (a timestamp works). Default: `Date.now()`. */
  readonly seq?: number
  readonly add?: readonly Uint8Array[]
  readonly revoke?: readonly Uint8Array[]
  /** Members added here stop being members at this time (ms since the epoch, server clock). Default: until revoked. */
  readonly until?: number
  /** Keys accepted as authors of pushed entries, without signing in (see `Registration.authors`). */
  readonly authors?: readonly Uint8Array[]
  readonly fetch?: typeof fetch
  /**
   * An operator-issued token, for creating a tenant on a server whose open registration is off
   * (`WEFT_REGISTRATION_CLOSED` without one). Registrations of a known tenant need none.
   */
  readonly registrationToken?: string
  /** The server's identity, when known beforehand: a server that names another is refused (see `ServerConnectionOptions.serverId`). */
  readonly serverId?: string
}

/**
 * Registers (or revokes) member signing keys for a tenant on a server, signed by the admin key for
 * that server's identity (`GET /v1/identity`), so it cannot be replayed on another server.
 * Registered keys may sign in and author the entries the server accepts; the admin is a member.
 */
export async function registerMembers(options: RegisterMembersOptions): Promise<Bodies['register']['res']> {
  const conn = new ServerConnection({
    url: options.url,
    tenant: options.tenant,
    key: options.admin,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.serverId !== undefined ? { serverId: options.serverId } : {}),
  })
  // Made for this server only: no other server accepts it.
  const server = await conn.serverId()
  const registration = createRegistration(
    {
      server,
      tenant: options.tenant,
      seq: options.seq ?? Date.now(),
      add: options.add ?? [],
      revoke: options.revoke ?? [],
      ...(options.until !== undefined ? { until: options.until } : {}),
      ...(options.authors !== undefined ? { authors: options.authors } : {}),
    },
    options.admin,
  )
  const token = options.registrationToken
  return conn.post(`${conn.tenantPath}/register`, { registration, ...(token !== undefined ? { token } : {}) })
}
