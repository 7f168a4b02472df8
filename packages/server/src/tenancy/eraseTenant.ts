import { ErrorCodes, WeftError, type KeyValueStore } from '@weft/core/backend'
import type { TenantGenerations } from '../TenantGenerations.ts'
import type { ApiKeys } from './ApiKeys.ts'
import type { TenantCatalogue } from './TenantCatalogue.ts'
import type { TenantDataStore } from './TenantDataStore.ts'
import type { TenantEventType } from './TenantEventBus.ts'
import { listTenantRecords } from './tenantRecordKeys.ts'

/** What erasing a tenant needs from the server's tenancy. */
export interface EraseContext {
  readonly data: TenantDataStore
  readonly catalogue: TenantCatalogue
  readonly kv: KeyValueStore
  readonly keys: ApiKeys
  readonly generations: TenantGenerations
  /** The tenant that cannot be deleted. */
  readonly defaultTenant: string
  /** The tenant's open sockets check their standing again now. */
  readonly recheckLive: (tenant: string) => void
  readonly emit: (tenant: string, type: TenantEventType) => void
  /** Drops what this process caches or counts of the tenant. */
  readonly forget: (tenant: string) => void
  /** Ends the tenant's event streams. */
  readonly closeStreams: (tenant: string) => void
}

/**
 * Erases a tenant: marks it `deleting` (every request refused, sockets closed), erases the change
 * stores of every generation (the data a reset put out of reach goes with it), every record the
 * server keeps of it and its API keys, then its catalogue record. Each step can run again, so a
 * deletion a stop interrupts is finished at the next start.
 */
export async function eraseTenant(c: EraseContext, tenant: string): Promise<{ databases: number; records: number }> {
  if (tenant === c.defaultTenant)
    throw new WeftError(ErrorCodes.TENANT_STATE, 'the default tenant cannot be deleted (suspend it instead)')
  await c.catalogue.transition(tenant, 'delete')
  c.emit(tenant, 'tenant-deleting')
  c.recheckLive(tenant)
  const names = await c.generations.allStorageNames(tenant)
  const databases = (await c.data.listDatabases(names.at(-1)!)).length
  for (const name of names) await c.data.eraseTenant(name)
  const keys = await listTenantRecords(c.kv, tenant)
  for (const k of keys) await c.kv.delete(k)
  await c.keys.forgetTenant(tenant)
  c.forget(tenant)
  // Requests admitted just before the mark may have written since: a second pass takes what they left.
  for (const name of names) await c.data.eraseTenant(name)
  await c.generations.forget(tenant)
  for (const k of await listTenantRecords(c.kv, tenant)) await c.kv.delete(k)
  c.forget(tenant)
  await c.catalogue.remove(tenant)
  c.closeStreams(tenant)
  return { databases, records: keys.length }
}
