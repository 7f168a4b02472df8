import type { KeyValueStore, StoreFactory } from '@weft/core/backend'
import { Admission } from './Admission.ts'
import type { ClusterState } from './cluster/ClusterState.ts'
import { Mailbox } from './Mailbox.ts'
import { MemberRegistry } from './MemberRegistry.ts'
import { MemberTimes } from './MemberTimes.ts'
import { TenantDirectory, type DirectoryLimits } from './TenantDirectory.ts'
import { TenantGenerations } from './TenantGenerations.ts'
import { TenantStores } from './TenantStores.ts'
import { UsageLedger } from './UsageLedger.ts'

/**
 * What a server keeps of each tenant in its own storage: members and directories, when keys were
 * admitted, where the tenant's data lives, its change stores, usage and mailbox. Each part caches
 * what it read; {@link forget} drops a tenant's caches, {@link share} keeps them right across the
 * processes over the same storage.
 */
export class TenantState {
  readonly stores: TenantStores
  readonly registry: MemberRegistry
  /** The tenants' directories: the devices they admit, from signed records. */
  readonly directory: TenantDirectory
  /** Registrations and directories together: what a key is to a tenant. */
  readonly admission: Admission
  /** When each device key was admitted and last signed in. */
  readonly times: MemberTimes
  /** Where each tenant's data lives (a reset moves it to a new, empty place). */
  readonly generations: TenantGenerations
  readonly mailbox: Mailbox
  readonly usage: UsageLedger

  constructor(
    kv: KeyValueStore,
    factory: StoreFactory,
    options: {
      readonly directory?: Partial<DirectoryLimits>
      readonly log: (message: string, error?: unknown) => void
    },
  ) {
    this.stores = new TenantStores(factory)
    this.registry = new MemberRegistry(kv)
    this.directory = new TenantDirectory(kv, options.directory)
    this.admission = new Admission(this.registry, this.directory)
    this.times = new MemberTimes(kv)
    this.generations = new TenantGenerations(kv)
    this.mailbox = new Mailbox(kv)
    this.usage = new UsageLedger(kv, this.stores, options.log)
  }

  /** Shares the members, directories, mailboxes and usage with the other processes over the same storage. */
  share(state: ClusterState): void {
    for (const part of [this.registry, this.directory, this.mailbox]) part.share(state)
    this.usage.share()
  }

  /** Drops what it holds of `tenant` (its lifecycle moved on): the next use reads it again. */
  forget(tenant: string): void {
    this.registry.forget(tenant)
    this.directory.forget(tenant)
    this.usage.forget(tenant)
    this.mailbox.forget(tenant)
    this.stores.forget(tenant)
  }
}
