import type { Command } from 'commander'
import { AdminClient } from '../adminClient.ts'
import { CliError } from '../failure.ts'
import type { Run } from './tenant.ts'

type Record_ = { id: string; name: string; status: string; isolation: string }
type Member = {
  key: string
  userId: string | null
  role: string | null
  status: string
  admittedAt: number | null
  lastSignInAt: number | null
  sockets: number
}

/**
 * `weft server …`: a running server's admin API (docs/multi-tenancy.md) from the command line:
 * tenants (list, create, show, update, suspend, resume, move, delete, export), their members and stats,
 * and API keys.
 */
export function serverCommands(program: Command, run: Run): void {
  const server = program
    .command('server')
    .description("a running server's tenants, members, stats and API keys (its admin API)")
    .option('--url <url>', 'the server; default $WEFT_SERVER_URL')
    .option('--api-key-file <file>', 'a file holding an admin API key (else $WEFT_API_KEY)')
  const client = (options: Record<string, unknown>, out: Parameters<Parameters<Run>[0]>[0]) =>
    AdminClient.open(
      {
        ...(typeof options.url === 'string' ? { url: options.url } : {}),
        ...(typeof options.apiKeyFile === 'string' ? { apiKeyFile: options.apiKeyFile } : {}),
      },
      out,
    )
  const tenants = server.command('tenants').description('tenants of the server')
  const line = (t: Record_) => `${t.id}\t${t.status}\t${t.isolation}\t${t.name}`

  tenants
    .command('list')
    .description('every tenant, page by page')
    .action(
      run(async (out, options) => {
        const admin = await client(options, out)
        const all: Record_[] = []
        for (let after: string | undefined; ;) {
          const page = await admin.call<{ tenants: Record_[]; next?: string }>(
            'GET',
            `/v1/admin/tenants?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`,
          )
          all.push(...page.tenants)
          if (!page.next) break
          after = page.next
        }
        out.result({ tenants: all }, () => (all.length ? all.map(line) : ['(no tenants)']))
      }),
    )

  tenants
    .command('create <id>')
    .description('create a tenant')
    .option('--name <name>', 'display name')
    .option('--isolation <model>', 'isolation model (database, schema, shared; the server decides by default)')
    .action(
      run(async (out, options, id) => {
        const body = {
          id,
          ...(typeof options.name === 'string' ? { name: options.name } : {}),
          ...(typeof options.isolation === 'string' ? { isolation: options.isolation } : {}),
        }
        const t = await (await client(options, out)).call<Record_>('POST', '/v1/admin/tenants', body)
        out.result(t, () => [`created ${line(t)}`])
      }),
    )

  for (const [verb, method, suffix, description] of [
    ['show', 'GET', '', "a tenant's record"],
    ['suspend', 'POST', '/suspend', 'refuse its members (data kept) and close their sockets'],
    ['resume', 'POST', '/resume', 'serve a suspended tenant again'],
  ] as const) {
    tenants
      .command(`${verb} <id>`)
      .description(description)
      .action(
        run(async (out, options, id) => {
          const t = await (
            await client(options, out)
          ).call<Record_>(method, `/v1/admin/tenants/${encodeURIComponent(id!)}${suffix}`)
          out.result(t, () => [line(t)])
        }),
      )
  }

  tenants
    .command('move <id> <model>')
    .description(
      'move a tenant to another isolation model (database, schema, shared), held meanwhile; the server must allow it',
    )
    .action(
      run(async (out, options, id, model) => {
        const t = await (
          await client(options, out)
        ).call<Record_>('POST', `/v1/admin/tenants/${encodeURIComponent(id!)}/move`, { isolation: model })
        out.result(t, () => [`moved ${line(t)}`])
      }),
    )

  tenants
    .command('update <id>')
    .description("change a tenant's name, quotas, flags or allowed model moves (what is not named is kept)")
    .option('--name <name>', 'display name')
    .option(
      '--isolation-changes <models>',
      'the isolation models it may be moved to, comma-separated (e.g. database,schema), or none',
    )
    .option('--quota <name=value>', 'a quota, e.g. maxEntriesPerTenant=50000 or =unlimited (repeatable)', collect, [])
    .option('--flag <name=on|off>', 'a feature flag, e.g. livePush=off (repeatable)', collect, [])
    .action(
      run(async (out, options, id) => {
        const admin = await client(options, out)
        const path = `/v1/admin/tenants/${encodeURIComponent(id!)}`
        // The admin API replaces a field whole: read the tenant, change what was named, write the field back.
        const now = await admin.call<{
          quotas: Record<string, number | null>
          flags: Record<string, boolean>
          config: Record<string, unknown>
        }>('GET', path)
        const quotas = pairs(options.quota as string[], '--quota', (v) =>
          v === 'unlimited' ? null : Number.isFinite(Number(v)) && v.trim() !== '' ? Number(v) : undefined,
        )
        const flags = pairs(options.flag as string[], '--flag', (v) =>
          v === 'on' || v === 'true' ? true : v === 'off' || v === 'false' ? false : undefined,
        )
        const changes = options.isolationChanges as string | undefined
        const models = changes === undefined || changes === 'none' ? [] : changes.split(',').map((m) => m.trim())
        if (models.some((m) => !['database', 'schema', 'shared'].includes(m)))
          throw new CliError(
            'WEFT_CLI_BAD_VALUE',
            `--isolation-changes takes database, schema or shared, comma-separated, or none, not ${changes}`,
            'for example --isolation-changes database,schema',
          )
        const body = {
          ...(typeof options.name === 'string' ? { name: options.name } : {}),
          ...(changes !== undefined ? { config: { ...now.config, isolationChanges: models } } : {}),
          ...(Object.keys(quotas).length ? { quotas: { ...now.quotas, ...quotas } } : {}),
          ...(Object.keys(flags).length ? { flags: { ...now.flags, ...flags } } : {}),
        }
        if (Object.keys(body).length === 0)
          throw new CliError(
            'WEFT_CLI_BAD_VALUE',
            'nothing to change',
            'name at least one of --name, --quota, --flag, --isolation-changes',
          )
        const t = await admin.call<Record_>('PATCH', path, body)
        out.result(t, () => [`updated ${line(t)}`])
      }),
    )

  tenants
    .command('delete <id>')
    .description('erase every store and record of a tenant (asks no question: export first)')
    .action(
      run(async (out, options, id) => {
        const r = await (
          await client(options, out)
        ).call<{ deleted: string; databases: number; records: number }>(
          'DELETE',
          `/v1/admin/tenants/${encodeURIComponent(id!)}`,
        )
        out.result(r, () => [`deleted ${r.deleted}: ${r.databases} databases, ${r.records} records erased`])
      }),
    )

  tenants
    .command('export <id>')
    .description("write a tenant's records and entries (ciphertext, NDJSON) to a new file")
    .requiredOption('--out <file>', 'the file to create')
    .action(
      run(async (out, options, id) => {
        const bytes = await (
          await client(options, out)
        ).download(`/v1/admin/tenants/${encodeURIComponent(id!)}/export`, String(options.out))
        out.result({ tenant: id, file: options.out, bytes }, () => [
          `exported ${id} to ${String(options.out)} (${bytes} bytes)`,
        ])
      }),
    )

  const members = server.command('members').description("a tenant's members: its device keys")
  members
    .command('list <tenant>')
    .description('every device key of a tenant: user, role, status, admitted, last sign-in, open sockets')
    .action(
      run(async (out, options, tenant) => {
        const admin = await client(options, out)
        const all: Member[] = []
        for (let after: string | undefined; ;) {
          const page = await admin.call<{ members: Member[]; next?: string }>(
            'GET',
            `/v1/admin/tenants/${encodeURIComponent(tenant!)}/members?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`,
          )
          all.push(...page.members)
          if (!page.next) break
          after = page.next
        }
        out.result({ tenant, members: all }, () => (all.length ? all.map(memberLine) : ['(no members)']))
      }),
    )

  server
    .command('stats <id>')
    .description("a tenant's statistics: entries, bytes, databases, live connections, requests, quota use")
    .action(
      run(async (out, options, id) => {
        const s = await (await client(options, out)).call('GET', `/v1/tenants/${encodeURIComponent(id!)}/stats`)
        out.result(s, () =>
          Object.entries(s).map(([k, v]) => `${k}\t${typeof v === 'object' ? JSON.stringify(v) : String(v)}`),
        )
      }),
    )

  const keys = server.command('keys').description('API keys of the server')
  keys
    .command('create')
    .description('create an API key; it is shown once')
    .requiredOption('--name <name>', 'what it is for')
    .requiredOption(
      '--scope <scope...>',
      'scopes: admin:tenants, admin:keys, tenant:<id>:read-stats, tenant:<id>:events',
    )
    .action(
      run(async (out, options) => {
        const k = await (
          await client(options, out)
        ).call<{ key: string; prefix: string; scopes: string[] }>('POST', '/v1/admin/keys', {
          name: options.name,
          scopes: options.scope,
        })
        out.result(k, () => [k.key, `(shown once: keep it in your secret manager; prefix ${k.prefix})`])
      }),
    )
  keys
    .command('list')
    .description('keys by prefix, name and scopes (never their secrets)')
    .action(
      run(async (out, options) => {
        const r = await (
          await client(options, out)
        ).call<{ keys: { prefix: string; name: string; scopes: string[]; revoked?: boolean }[] }>(
          'GET',
          '/v1/admin/keys',
        )
        out.result(r, () =>
          r.keys.map((k) => `${k.prefix}\t${k.name}\t${k.scopes.join(',')}${k.revoked ? '\trevoked' : ''}`),
        )
      }),
    )
  keys
    .command('revoke <prefix>')
    .description("revoke a key: it is refused from now on (a prefix that starts with '-' goes after '--')")
    .action(
      run(async (out, options, prefix) => {
        const k = await (await client(options, out)).call('DELETE', `/v1/admin/keys/${encodeURIComponent(prefix!)}`)
        out.result(k, () => [`revoked ${prefix}`])
      }),
    )
}

/** A member as one tab-separated line: key, status, role, user, admitted, last sign-in, sockets. */
function memberLine(m: Member): string {
  const time = (t: number | null) => (t === null ? '-' : new Date(t).toISOString())
  const cells = [m.key, m.status, m.role ?? '-', m.userId ?? '-', time(m.admittedAt), time(m.lastSignInAt)]
  return `${cells.join('\t')}\t${m.sockets} sockets`
}

/** Commander's collector for a repeatable option. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** `name=value` arguments as an object, each value read by `read` (undefined: refused as a usage error). */
function pairs<T>(args: readonly string[], flag: string, read: (value: string) => T | undefined): Record<string, T> {
  const out: Record<string, T> = {}
  for (const arg of args) {
    const i = arg.indexOf('=')
    const value = i > 0 ? read(arg.slice(i + 1)) : undefined
    if (value === undefined)
      throw new CliError(
        'WEFT_CLI_BAD_VALUE',
        `${flag} ${arg}: not name=value`,
        `see weft server tenants update --help`,
      )
    out[arg.slice(0, i)] = value
  }
  return out
}
