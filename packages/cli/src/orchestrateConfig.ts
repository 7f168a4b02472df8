import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { CliError } from './failure.ts'

/** A tenant the orchestrator runs: its data folder and where its password comes from. */
export interface ConfigTenant {
  readonly id: string
  readonly data: string
  readonly passwordFile?: string
  readonly passwordEnv?: string
}

/** The other side of a relationship: a tenant of this config, or a partner reached through a server. */
export type ConfigPartner = { readonly tenant: string } | { readonly relay: string; readonly grant: string }

export interface ConfigRelationship {
  readonly id: string
  readonly local: string
  readonly partner: ConfigPartner
  readonly databases: readonly (string | { readonly local: string; readonly remote: string })[]
  readonly direction?: 'pull' | 'push' | 'both'
  readonly grant?: string
  readonly intervalMs?: number
  readonly filter?: { readonly where: Record<string, string | number | boolean | null> }
  /** `lazy`: transfers into this tenant's databases leave attachment chunks to be fetched when read. */
  readonly attachments?: 'eager' | 'lazy'
}

/** `weft.config.json`, checked. */
export interface OrchestrateConfig {
  readonly intervalMs?: number
  readonly concurrency?: number
  readonly tenants: readonly ConfigTenant[]
  readonly relationships: readonly ConfigRelationship[]
}

const MAX_CONFIG_BYTES = 1 << 20

/** Reads and checks a config file; relative folders and files are taken from the config's folder. */
export async function readOrchestrateConfig(path: string): Promise<OrchestrateConfig> {
  const text = await readFile(path, 'utf8').catch((cause: Error) => {
    throw new CliError('WEFT_CLI_BAD_CONFIG', `cannot read ${path}: ${cause.message}`, 'check the --config path', 2)
  })
  if (text.length > MAX_CONFIG_BYTES) throw bad(path, '', 'the file is over 1 MiB')
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    throw bad(path, '', `not JSON (${(cause as Error).message})`)
  }
  return parseOrchestrateConfig(raw, path)
}

/** Checks a parsed config; `WEFT_CLI_BAD_CONFIG` names the first field that is wrong. */
export function parseOrchestrateConfig(raw: unknown, path: string): OrchestrateConfig {
  const base = dirname(resolve(path))
  const c = object(raw, path, '')
  const tenants = array(c.tenants, path, 'tenants').map((t, i) => {
    const o = object(t, path, `tenants[${i}]`)
    const tenant: ConfigTenant = {
      id: string(o.id, path, `tenants[${i}].id`),
      data: resolve(base, string(o.data, path, `tenants[${i}].data`)),
      ...(o.passwordFile !== undefined
        ? { passwordFile: resolve(base, string(o.passwordFile, path, `tenants[${i}].passwordFile`)) }
        : {}),
      ...(o.passwordEnv !== undefined ? { passwordEnv: string(o.passwordEnv, path, `tenants[${i}].passwordEnv`) } : {}),
    }
    if (!tenant.passwordFile && !tenant.passwordEnv)
      throw bad(path, `tenants[${i}]`, 'needs passwordFile or passwordEnv (a password is never written in the config)')
    return tenant
  })
  const ids = new Set(tenants.map((t) => t.id))
  if (ids.size !== tenants.length) throw bad(path, 'tenants', 'a tenant is listed twice')
  const relationships = array(c.relationships, path, 'relationships').map((r, i) => {
    const at = `relationships[${i}]`
    const o = object(r, path, at)
    const local = string(o.local, path, `${at}.local`)
    if (!ids.has(local)) throw bad(path, `${at}.local`, `${local} is not one of the config's tenants`)
    const p = object(o.partner, path, `${at}.partner`)
    let partner: ConfigPartner
    if (p.tenant !== undefined) {
      const id = string(p.tenant, path, `${at}.partner.tenant`)
      if (!ids.has(id)) throw bad(path, `${at}.partner.tenant`, `${id} is not one of the config's tenants`)
      partner = { tenant: id }
    } else {
      const relay = string(p.relay, path, `${at}.partner.relay`)
      if (!/^https?:\/\//.test(relay)) throw bad(path, `${at}.partner.relay`, 'must be an http(s) URL')
      partner = { relay, grant: string(p.grant, path, `${at}.partner.grant`) }
    }
    const databases = array(o.databases, path, `${at}.databases`).map((d, j) => {
      if (typeof d === 'string') return d
      const dd = object(d, path, `${at}.databases[${j}]`)
      return {
        local: string(dd.local, path, `${at}.databases[${j}].local`),
        remote: string(dd.remote, path, `${at}.databases[${j}].remote`),
      }
    })
    if (!databases.length) throw bad(path, `${at}.databases`, 'names no database')
    const direction = o.direction
    if (direction !== undefined && direction !== 'pull' && direction !== 'push' && direction !== 'both')
      throw bad(path, `${at}.direction`, 'is pull, push or both')
    const attachments = o.attachments
    if (attachments !== undefined && attachments !== 'eager' && attachments !== 'lazy')
      throw bad(path, `${at}.attachments`, 'is eager or lazy')
    const filter = o.filter === undefined ? undefined : object(o.filter, path, `${at}.filter`)
    if (filter) {
      const where = object(filter.where, path, `${at}.filter.where`)
      for (const [k, v] of Object.entries(where))
        if (v !== null && !['string', 'number', 'boolean'].includes(typeof v))
          throw bad(path, `${at}.filter.where.${k}`, 'is a string, number, boolean or null')
    }
    return {
      id: string(o.id, path, `${at}.id`),
      local,
      partner,
      databases,
      ...(direction !== undefined ? { direction } : {}),
      ...(o.grant !== undefined ? { grant: string(o.grant, path, `${at}.grant`) } : {}),
      ...(o.intervalMs !== undefined ? { intervalMs: positive(o.intervalMs, path, `${at}.intervalMs`) } : {}),
      ...(filter ? { filter: filter as ConfigRelationship['filter'] } : {}),
      ...(attachments !== undefined ? { attachments } : {}),
    } as ConfigRelationship
  })
  if (new Set(relationships.map((r) => r.id)).size !== relationships.length)
    throw bad(path, 'relationships', 'two relationships share an id')
  return {
    tenants,
    relationships,
    ...(c.intervalMs !== undefined ? { intervalMs: positive(c.intervalMs, path, 'intervalMs') } : {}),
    ...(c.concurrency !== undefined ? { concurrency: positive(c.concurrency, path, 'concurrency') } : {}),
  }
}

function bad(path: string, field: string, why: string): CliError {
  return new CliError(
    'WEFT_CLI_BAD_CONFIG',
    `${path}${field ? ` ${field}` : ''}: ${why}`,
    'fix the config (docs/cli.md shows its format)',
    2,
  )
}

function object(v: unknown, path: string, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(path, field, 'must be an object')
  return v as Record<string, unknown>
}

function array(v: unknown, path: string, field: string): unknown[] {
  if (!Array.isArray(v)) throw bad(path, field, 'must be an array')
  return v
}

function string(v: unknown, path: string, field: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 4096) throw bad(path, field, 'must be a non-empty string')
  return v
}

function positive(v: unknown, path: string, field: string): number {
  if (!Number.isSafeInteger(v) || (v as number) <= 0) throw bad(path, field, 'must be a positive integer')
  return v as number
}
