import { ErrorCodes, fromBase64Url, WeftError, type StoreFactory } from '@weft/core/backend'
import { MemberRegistry } from './MemberRegistry.ts'
import { MemberTimes } from './MemberTimes.ts'
import { isTenantId } from './parseRoute.ts'
import { TenantDirectory } from './TenantDirectory.ts'
import { TenantGenerations } from './TenantGenerations.ts'

/** What an operator does to a tenant id on the server's storage. */
export type OperatorCommand =
  | { readonly op: 'reset'; readonly tenant: string }
  | { readonly op: 'transfer'; readonly tenant: string; readonly to: string }

/**
 * Runs an operator's command against the server's storage, with the server stopped (LevelDB holds
 * a lock: a running server's folder cannot be opened). `reset` erases the tenant's registration
 * and directory and moves its data out of reach, as a signed reset does; `transfer` makes `to`
 * (an Ed25519 public key, base64url) the tenant's registered admin. No signature is asked for:
 * whoever holds the server's data folder controls it anyway. `WEFT_TENANT_NOT_FOUND` for a tenant
 * the storage does not hold, `WEFT_INVALID_ARGUMENT` for a malformed tenant id or key.
 */
export async function runOperatorCommand(factory: StoreFactory, cmd: OperatorCommand): Promise<void> {
  if (!isTenantId(cmd.tenant)) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `not a tenant id: ${cmd.tenant}`)
  if (cmd.op === 'transfer') {
    let key: Uint8Array | undefined
    try {
      key = fromBase64Url(cmd.to)
    } catch {
      // refused below
    }
    if (key?.length !== 32)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'the new admin is an Ed25519 public key, 32 bytes in base64url')
  }
  const kv = await factory.openKeyValueStore('weft-server')
  const registry = new MemberRegistry(kv)
  if (!(await registry.keys(cmd.tenant)))
    throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `this server holds no tenant ${cmd.tenant}`)
  if (cmd.op === 'transfer') return registry.operatorTransfer(cmd.tenant, cmd.to)
  const directory = new TenantDirectory(kv)
  const generations = new TenantGenerations(kv)
  await registry.operatorReset(cmd.tenant, async () => {
    await generations.next(cmd.tenant)
    await directory.erase(cmd.tenant)
    await new MemberTimes(kv).erase(cmd.tenant)
  })
}
