import { existsSync } from 'node:fs'
import { TenantFactory, type Tenant } from '@weft/core'
import { isPostgresUrl, openStorage, type CliStorage } from './storage.ts'
import { CliError } from './failure.ts'
import { readPassword } from './password.ts'
import type { Output } from './output.ts'

/** The options every command that works on a tenant takes. */
export interface TenantOptions {
  readonly data?: string
  readonly tenant?: string
  readonly passwordFile?: string
}

/** A data folder (or PostgreSQL database) opened for a command; close it when done. */
export class Folder {
  readonly storage: CliStorage
  readonly factory: TenantFactory

  private constructor(location: string) {
    this.storage = openStorage(location)
    this.factory = new TenantFactory({ storeFactory: this.storage })
  }

  /** Opens `path`, a folder (it must exist unless `create`) or a `postgres://` URL. */
  static open(path: string | undefined, options: { create?: boolean } = {}): Folder {
    if (!path)
      throw new CliError(
        'WEFT_CLI_NO_DATA',
        'no data folder given',
        'pass --data <folder or postgres:// URL> or set WEFT_DATA',
      )
    if (!isPostgresUrl(path) && !options.create && !existsSync(path))
      throw new CliError(
        'WEFT_CLI_NO_DATA',
        `the data folder ${path} does not exist`,
        'check --data, or create a tenant there first',
      )
    return new Folder(path)
  }

  close(): Promise<void> {
    return this.factory.close()
  }
}

/** The tenant id the options name. */
export function tenantIdOf(options: TenantOptions): string {
  if (!options.tenant)
    throw new CliError('WEFT_CLI_NO_TENANT', 'no tenant given', 'pass --tenant <id> or set WEFT_TENANT')
  return options.tenant
}

/** Opens the tenant the options name, asking for its password as {@link readPassword} does. */
export async function openTenant(folder: Folder, options: TenantOptions, out: Output): Promise<Tenant> {
  const password = await readPassword({
    ...(options.passwordFile !== undefined ? { file: options.passwordFile } : {}),
    envName: 'WEFT_PASSWORD',
    env: out.env,
    prompt: `Password of ${tenantIdOf(options)}: `,
  })
  return folder.factory.openTenant(tenantIdOf(options), { password })
}
