import { ErrorCodes, WeftError, type CatalogueRow } from '@weft/core/backend'
import type { TenantConfig, TenantFlags, TenantQuotaOverrides, TenantRecord } from './TenantRecord.ts'

/** A tenant's record as its catalogue store keeps it: `Infinity` quotas as `null` (JSON has no Infinity). */
export function rowOf(r: TenantRecord): CatalogueRow {
  const quotas = Object.fromEntries(Object.entries(r.quotas).map(([k, v]) => [k, Number.isFinite(v) ? v : null]))
  return {
    id: r.id,
    name: r.name,
    isolation: r.isolation,
    status: r.status,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    quotas,
    config: r.config as Record<string, unknown>,
    flags: r.flags,
    adopted: r.adopted === true,
    ...(r.moving !== undefined ? { moving: r.moving } : {}),
  }
}

/**
 * A row read from the catalogue store, as a record; checked again, since a storage is not trusted to
 * hand back what was written (`WEFT_STORAGE_ERROR` when it does not parse).
 */
export function recordOf(row: CatalogueRow): TenantRecord {
  const broken = (what: string) =>
    new WeftError(ErrorCodes.STORAGE_ERROR, `tenant ${row.id}: its ${what} does not parse`)
  const quotas: Record<string, number> = {}
  for (const [k, v] of Object.entries(row.quotas ?? {})) {
    if (v === null) quotas[k] = Infinity
    else if (typeof v === 'number' && v >= 0) quotas[k] = v
    else throw broken('quotas')
  }
  for (const v of Object.values(row.flags ?? {})) if (typeof v !== 'boolean') throw broken('flags')
  if (typeof row.config !== 'object' || row.config === null || Array.isArray(row.config)) throw broken('config')
  return {
    id: row.id,
    name: row.name,
    isolation: row.isolation,
    status: row.status,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    quotas: quotas as TenantQuotaOverrides,
    config: row.config as TenantConfig,
    flags: (row.flags ?? {}) as TenantFlags,
    ...(row.adopted ? { adopted: true } : {}),
    ...(row.moving !== undefined ? { moving: row.moving } : {}),
  }
}
