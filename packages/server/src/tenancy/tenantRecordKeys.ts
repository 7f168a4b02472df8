import type { KeyValueStore } from '@weft/core/backend'
import { memberTimesPrefix } from '../MemberTimes.ts'
import { directoryPrefix } from '../TenantDirectory.ts'

/**
 * Every record the server keeps of a tenant in its key-value store, by key: exact keys and key
 * prefixes. A feature that stores something per tenant adds its keys here, so export and delete
 * cover it. Tenant ids hold no `/`, so `usage/<id>/` never matches another tenant's keys.
 */
export function tenantRecordKeys(tenant: string): {
  readonly exact: readonly string[]
  readonly prefixes: readonly string[]
} {
  return {
    exact: [`tenant/${tenant}`, `mailseq/${tenant}`],
    prefixes: [
      `usage/${tenant}/`,
      `mail/${tenant}/`,
      `mailmeta/${tenant}/`,
      memberTimesPrefix(tenant),
      directoryPrefix(tenant),
    ],
  }
}

/** The keys of the tenant's records that exist now, sorted. */
export async function listTenantRecords(kv: KeyValueStore, tenant: string): Promise<string[]> {
  const { exact, prefixes } = tenantRecordKeys(tenant)
  const keys: string[] = []
  for (const k of exact) if ((await kv.get(k)) !== undefined) keys.push(k)
  for (const p of prefixes) keys.push(...(await kv.keys(p)))
  return keys.sort()
}
