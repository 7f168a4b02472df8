import { fromBase64Url, type ServerSigner, type SigningKeyPair } from '@weft/core/backend'
import { registerMembers } from '@weft/client'

/** What {@link admitDevices} needs. */
export interface AdmitDevicesOptions {
  readonly url: string
  readonly tenantId: string
  /** The admin device that approved the joins (`tenant.serverSigner()`); the first call makes it the server's admin. */
  readonly admin: ServerSigner | SigningKeyPair
  /** Device ids (base64url signing keys) to admit: the join request's `signingKey`, the admin's own. */
  readonly deviceIds: readonly string[]
  readonly fetch?: typeof fetch
}

let lastSeq = 0

/**
 * The ONE step by which tests make a server admit a tenant's devices. For now it registers the
 * device keys with `registerMembers`, signed by the admin device. Once the server admits the
 * devices of a tenant's signed directory by itself, this becomes a no-op and every test that
 * joins devices keeps passing unchanged.
 */
export async function admitDevices(options: AdmitDevicesOptions): Promise<void> {
  lastSeq = Math.max(lastSeq + 1, Date.now())
  await registerMembers({
    url: options.url,
    tenant: options.tenantId,
    admin: options.admin,
    seq: lastSeq,
    add: options.deviceIds.map((id) => fromBase64Url(id)),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  })
}
