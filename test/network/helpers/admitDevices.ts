import type { ServerSigner, SigningKeyPair } from '@weft/core/backend'
import { registerMembers } from '@weft/client'

/** What {@link admitDevices} needs. */
export interface AdmitDevicesOptions {
  readonly url: string
  readonly tenantId: string
  /** The tenant's root device (`tenant.serverSigner()`): the first call registers the tenant with it. */
  readonly admin: ServerSigner | SigningKeyPair
  /** Devices the caller wants admitted: nothing is done for them, the server admits them itself. */
  readonly deviceIds: readonly string[]
  readonly fetch?: typeof fetch
}

const registered = new Set<string>()

/**
 * The one step tests take before devices of a tenant use a server: the root device registers the
 * tenant there, once. The devices themselves (`deviceIds`, the joined ones among them) need no
 * step: each is admitted from the tenant's signed directory when it connects, which is what the
 * tests that call this prove.
 */
export async function admitDevices(options: AdmitDevicesOptions): Promise<void> {
  const key = `${options.url} ${options.tenantId}`
  if (registered.has(key)) return
  await registerMembers({
    url: options.url,
    tenant: options.tenantId,
    admin: options.admin,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  })
  registered.add(key)
}
