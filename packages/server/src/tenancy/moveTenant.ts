import { ErrorCodes, exclusively, WeftError, type KeyValueStore, type StoreFactory } from '@weft/core/backend'
import type { TenantCatalogue } from './TenantCatalogue.ts'
import type { TenantEventType } from './TenantEventBus.ts'
import type { TenantRecord } from './TenantRecord.ts'

/** A storage that can move a tenant between isolation models (PostgreSQL under `hybrid`). */
export interface MovableStoreFactory extends StoreFactory {
  readonly isolation?: string
  moveTenant?(tenant: string, model: string): Promise<unknown>
  /** Closes what it holds open of a tenant and forgets where it lives (read again at the next open). */
  closeTenant?(tenant: string): Promise<void>
}

/** What a move needs from tenancy. */
export interface MoveContext {
  readonly catalogue: TenantCatalogue
  readonly factory: MovableStoreFactory
  /** The server's record store: its lock keeps two moves of a tenant apart, in every process. */
  readonly kv: KeyValueStore
  /** The server's default list of models a tenant may move to (`tenancy.isolationChanges`). */
  readonly allowed: readonly string[]
  /** Every storage name of the tenant (its generations). */
  readonly storageNames: (tenant: string) => Promise<string[]>
  readonly closeStorage: (tenant: string) => Promise<void>
  readonly recheckLive: (tenant: string) => void
  readonly emit: (tenant: string, type: TenantEventType, data: Record<string, unknown>) => void
}

const lockOf = (tenant: string) => `move/${tenant}`

/**
 * Moves a tenant to another isolation model, through the server. Refused, changing nothing, with
 * `WEFT_MOVE_NOT_ALLOWED` when the storage cannot move tenants or the tenant's configuration
 * (`config.isolationChanges`, else the server's default) does not list the model. Otherwise, under
 * a lock every process shares: the tenant is held (its record says `moving`; every process refuses
 * its members with `WEFT_TENANT_MOVING` and closes its sockets, as the change to its record reaches
 * them), this process closes its stores of it (the others close theirs as they see the hold), the
 * storage moves every generation of it (the old place is read until the tenant's row is switched),
 * and the hold is released. A move to the model it is in already changes nothing.
 */
export async function moveTenant(ctx: MoveContext, tenant: string, isolation: string): Promise<TenantRecord> {
  const { factory, catalogue } = ctx
  const move = factory.moveTenant?.bind(factory)
  if (!move || factory.isolation !== 'hybrid')
    throw new WeftError(
      ErrorCodes.MOVE_NOT_ALLOWED,
      "this server's storage cannot move tenants between isolation models (PostgreSQL under hybrid isolation can)",
    )
  const record = await catalogue.reload(tenant)
  if (!record) throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `no tenant ${tenant}`)
  if (record.isolation === isolation) return record
  const allowed = record.config.isolationChanges ?? ctx.allowed
  if (!allowed.includes(isolation))
    throw new WeftError(ErrorCodes.MOVE_NOT_ALLOWED, `tenant ${tenant} may not be moved to the ${isolation} model`)
  return exclusively(ctx.kv, lockOf(tenant), async () => {
    const from = (await catalogue.hold(tenant, isolation)).isolation
    ctx.recheckLive(tenant)
    try {
      await ctx.closeStorage(tenant)
      for (const name of await ctx.storageNames(tenant)) await move(name, isolation)
    } finally {
      await catalogue.release(tenant)
      await ctx.closeStorage(tenant)
    }
    const moved = (await catalogue.reload(tenant))!
    ctx.emit(tenant, 'tenant-moved', { from, to: moved.isolation })
    return moved
  })
}

/**
 * Releases the hold of a move no process runs any more (its process stopped in the middle): taken
 * under the move's lock, so a move still running elsewhere is waited for, not cut short.
 */
export function releaseStaleHold(ctx: MoveContext, tenant: string): Promise<void> {
  return exclusively(ctx.kv, lockOf(tenant), async () => {
    if ((await ctx.catalogue.reload(tenant))?.moving === undefined) return
    await ctx.catalogue.release(tenant)
    await ctx.closeStorage(tenant)
  })
}
