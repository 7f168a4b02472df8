/**
 * @packageDocumentation
 * PostgreSQL storage for Weft servers, via `pg`. {@link PostgresStoreFactory} keeps every
 * tenant's change stores and records in PostgreSQL, each tenant isolated by the model chosen for
 * it: its own database, its own schema, or shared tables under row-level security (or a hybrid,
 * per tenant, recorded in a tenants table). {@link PostgresChangeStore} passes the core
 * conformance suite: every append is verified by the core and written in one transaction that
 * takes the store's counter row, so arrival numbers stay gap-free across processes, with the
 * range-fingerprint index updated in the same transaction. Tables are created by versioned
 * migrations run under an advisory lock. Failures surface as `WEFT_STORAGE_ERROR`.
 */

export { PostgresStoreFactory } from './PostgresStoreFactory.ts'
export { tenantOfStore } from './tenantOfStore.ts'
export { PostgresChangeStore } from './PostgresChangeStore.ts'
export { PostgresCatalogueStore } from './PostgresCatalogueStore.ts'
export { PostgresKeyValueStore } from './PostgresKeyValueStore.ts'
export { PostgresServerRecords } from './PostgresServerRecords.ts'
export { PostgresClusterBus, CLUSTER_CHANNEL } from './PostgresClusterBus.ts'
export { TenantScope } from './TenantScope.ts'
export { Identifiers } from './identifiers.ts'
export { migrate, appliedVersions } from './migrate.ts'
export { STORE_MIGRATIONS, CONTROL_MIGRATIONS, STORE_TABLES } from './migrations.ts'
export { prepareMainDatabase } from './locations.ts'
export { ISOLATION_MODELS, isIsolationModel } from './types.ts'

export type { PostgresStoreFactoryOptions } from './PostgresStoreFactory.ts'
export type { PostgresClusterBusOptions } from './PostgresClusterBus.ts'
export type { CatalogueContext } from './PostgresCatalogueStore.ts'
export type { TenantCopy } from './copyTenant.ts'
export type { TransactionOptions } from './TenantScope.ts'
export type { MigrateTarget } from './migrate.ts'
export type { Migration } from './migrations.ts'
export type { IsolationModel, TenantRecord } from './types.ts'
