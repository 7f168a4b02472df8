import type { ServerSigner, SigningKeyPair } from '@weft/core/backend'
import { createTenantControl, type Bodies } from '@weft/protocol'
import { ServerConnection } from './ServerConnection.ts'

/** A control operation on a tenant id on one server (see {@link transferTenant}, {@link resetTenant}). */
export interface TenantControlOptions {
  readonly url: string
  readonly tenant: string
  /** The signer: the registered admin, or (a transfer only) an admin device of the tenant's directory. */
  readonly signer: SigningKeyPair | ServerSigner
  /** Above every control seq the server saw for the tenant id. Default: `Date.now()`. */
  readonly seq?: number
  readonly fetch?: typeof fetch
  /** The server's identity, when known beforehand (see `ServerConnectionOptions.serverId`). */
  readonly serverId?: string
}

function connect(options: TenantControlOptions): ServerConnection {
  return new ServerConnection({
    url: options.url,
    tenant: options.tenant,
    key: options.signer,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.serverId !== undefined ? { serverId: options.serverId } : {}),
  })
}

/**
 * Makes `to` the tenant's registered admin on a server (after a recovery, say, when the device
 * that registered the tenant is lost). Signed by the registered admin or an admin device of the
 * tenant's directory as the server holds it, for that server's identity only, with a `seq` the
 * server has not seen: it cannot be replayed here or elsewhere.
 */
export async function transferTenant(
  options: TenantControlOptions & { readonly to: Uint8Array },
): Promise<Bodies['transfer']['res']> {
  const conn = connect(options)
  const control = createTenantControl(
    {
      op: 'transfer',
      server: await conn.serverId(),
      tenant: options.tenant,
      seq: options.seq ?? Date.now(),
      to: options.to,
    },
    options.signer,
  )
  return conn.post(`${conn.tenantPath}/transfer`, { control })
}

/**
 * Erases the tenant's registration, directory and data on a server, signed by its registered
 * admin for that server only; the tenant id is free to register again.
 */
export async function resetTenant(options: TenantControlOptions): Promise<Bodies['reset']['res']> {
  const conn = connect(options)
  const control = createTenantControl(
    { op: 'reset', server: await conn.serverId(), tenant: options.tenant, seq: options.seq ?? Date.now() },
    options.signer,
  )
  return conn.post(`${conn.tenantPath}/reset`, { control })
}
