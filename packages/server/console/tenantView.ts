/**
 * A tenant admin's view: this browser is a device of the tenant (its keys are here, unlocked with a
 * password that never leaves the browser). It signs in to the server with its device key, follows
 * the tenant's databases live, and computes everything it shows from the entries the server
 * returns, decrypted and verified here: document counts, the members and devices of the signed
 * directory, and the hosts' status reports (relationships, lag, grants, the audit trail, checked
 * here). Only quota use is the server's own counting.
 */
import type { Database, Tenant } from '@weft/core'
import {
  LiveSync,
  parseStatusReport,
  RemoteChangeStore,
  ServerConnection,
  STATUS_DB,
  type StatusReport,
  type SyncStatus,
  type TenantUsage,
} from '@weft/client'
import type { KeyValueStore } from '@weft/core/backend'
import { checkAudit } from './auditCheck.ts'
import { badge, bytes, el, message, row, table, use, when } from './dom.ts'

const DIRECTORY = '_directory'
const USAGE_MS = 5_000

/** Shows the tenant's view in `root` until `signal` aborts (then stops syncing). */
export async function showTenant(
  root: HTMLElement,
  tenant: Tenant,
  cursors: KeyValueStore,
  signal: AbortSignal,
): Promise<void> {
  const connection = new ServerConnection({ url: location.origin, tenant: tenant.id, key: tenant.serverSigner() })
  const syncs = new Map<string, { db: Database; live: LiveSync }>()
  let usage: TenantUsage | undefined
  let usageError: string | undefined
  const sections = el('div', {})
  const state = el('p', { role: 'status', 'data-testid': 'sync-state' }, 'Connecting…')
  root.replaceChildren(state, sections)

  let rendering = false
  let again = false
  const render = async () => {
    if (rendering) return void (again = true)
    rendering = true
    try {
      do {
        again = false
        sections.replaceChildren(...(await build()))
        state.textContent = syncLine([...syncs.values()].map((s) => s.live.peek()))
      } while (again && !signal.aborted)
    } catch (err) {
      state.textContent = `Could not show the tenant: ${message(err)}`
    } finally {
      rendering = false
    }
  }

  const follow = async (name: string) => {
    if (syncs.has(name) || signal.aborted) return
    const db = await tenant.openDB(name)
    const live = new LiveSync({ local: db, remote: new RemoteChangeStore({ connection, db: name }), cursors })
    syncs.set(name, { db, live })
    live.subscribe(() => void render())
    db.on('docs-changed', () => void render())
    live.start()
  }

  const build = async (): Promise<HTMLElement[]> => {
    const reports = await readReports(syncs.get(STATUS_DB)?.db)
    const names = [...new Set(reports.ok.flatMap((r) => r.databases))].filter((n) => !n.startsWith('_')).sort()
    for (const n of names) void follow(n)
    return [
      await membersSection(tenant),
      databasesSection(names, syncs),
      quotaSection(usage, usageError),
      relationshipsSection(reports.ok, reports.refused),
      grantsSection(reports.ok),
      auditSection(reports.ok),
    ]
  }

  const pollUsage = async () => {
    try {
      usage = await connection.usage(signal)
      usageError = undefined
    } catch (err) {
      usageError = message(err)
    }
    void render()
  }
  const timer = setInterval(() => void pollUsage(), USAGE_MS)
  signal.addEventListener('abort', () => {
    clearInterval(timer)
    for (const s of syncs.values()) void s.live.close()
  })
  await follow(DIRECTORY)
  await follow(STATUS_DB)
  void pollUsage()
  await render()
}

function syncLine(states: readonly SyncStatus[]): string {
  if (states.some((s) => s.state === 'error')) {
    const e = states.find((s) => s.state === 'error') as Extract<SyncStatus, { state: 'error' }>
    return `Stopped: ${message(e.error)}`
  }
  if (states.some((s) => s.state === 'offline')) return 'Offline: retrying…'
  if (states.some((s) => s.state === 'syncing')) return 'Syncing…'
  return 'Up to date, following live.'
}

async function readReports(db: Database | undefined): Promise<{ ok: StatusReport[]; refused: number }> {
  const ok: StatusReport[] = []
  let refused = 0
  for (const id of db ? await db.getAllDocumentIds() : []) {
    try {
      ok.push(parseStatusReport(JSON.parse(JSON.stringify((await db!.getDocument(id))!.getData()))))
    } catch {
      refused++
    }
  }
  return { ok: ok.sort((a, b) => a.host.localeCompare(b.host)), refused }
}

function section(id: string, title: string, ...body: (Node | string)[]): HTMLElement {
  return el('section', { 'aria-labelledby': id }, el('h2', { id }, title), ...body)
}

async function membersSection(tenant: Tenant): Promise<HTMLElement> {
  await tenant.members.refresh()
  const rows = (await tenant.members.list()).flatMap((m) =>
    m.devices.map((d) =>
      row([
        m.name,
        m.role,
        el('code', {}, d.deviceId.slice(0, 16) + '…'),
        d.removed || m.removed ? badge('removed', 'bad') : badge('active', 'ok'),
        d.self ? 'this browser' : '',
      ]),
    ),
  )
  return section(
    'members-h',
    'Members and devices',
    table(
      'Users, their role and their devices, from the signed directory',
      ['User', 'Role', 'Device', 'Status', 'Where'],
      rows,
      'members',
    ),
  )
}

function databasesSection(names: readonly string[], syncs: ReadonlyMap<string, { db: Database }>): HTMLElement {
  const body = names.map((name) => {
    const db = syncs.get(name)?.db
    const tr = row([name, '…', '…', '…', '…'], { 'data-db': name })
    if (db)
      void db.listDocuments().then((docs) => {
        const c = { ready: 0, deleted: 0, locked: 0, untrusted: 0 }
        for (const d of docs) if (d.status in c) c[d.status as keyof typeof c]++
        tr.replaceWith(row([name, c.ready, c.deleted, c.locked, c.untrusted], { 'data-db': name }))
      })
    return tr
  })
  return section(
    'dbs-h',
    'Databases',
    el(
      'p',
      { class: 'hint' },
      'Counted here from the entries the server returned, decrypted with this device’s keys. Locked: no key here; untrusted: signer not admitted.',
    ),
    table(
      'Databases and their documents',
      ['Database', 'Documents', 'Deleted', 'Locked', 'Untrusted'],
      body,
      'databases',
    ),
  )
}

function quotaSection(usage: TenantUsage | undefined, error: string | undefined): HTMLElement {
  if (!usage) return section('quota-h', 'Quota use', el('p', { class: error ? 'error' : 'hint' }, error ?? 'Loading…'))
  const l = usage.limits
  const rows = [
    row(['Entries', use(usage.entries, l.maxEntries)]),
    row(['Bytes', use(usage.bytes, l.maxBytes, bytes)]),
    row(['Databases', use(usage.databases, l.maxDatabases)]),
    row(['Device keys', use(usage.members, l.maxMembers)]),
    row(['Mailbox messages', use(usage.mailMessages, l.maxMailMessages)]),
  ]
  return section(
    'quota-h',
    'Quota use',
    el('p', { class: 'hint' }, 'Counted by the server.'),
    table('Use against the server’s quotas', ['Quota', 'Used / limit'], rows, 'quota'),
  )
}

function relationshipsSection(reports: readonly StatusReport[], refused: number): HTMLElement {
  const parts: HTMLElement[] = []
  if (refused) parts.push(el('p', { class: 'error' }, `${refused} status report(s) could not be read.`))
  if (!reports.length)
    parts.push(
      el('p', { class: 'hint' }, 'No host has published a status report yet (StatusPublisher, docs/console.md).'),
    )
  for (const r of reports) {
    const rows = r.relationships.flatMap((rel) =>
      rel.databases.map((d) => {
        const err = d.lastError ?? rel.lastError
        const behind = (n: number | null, dir: string) =>
          el('span', { 'data-testid': `behind-${rel.id}-${d.db}-${dir}` }, n === null ? '—' : String(n))
        return row(
          [
            el('code', {}, rel.id),
            rel.partnerTenant,
            `${d.db} → ${d.remoteDb}`,
            rel.enabled ? rel.state : badge('disabled', 'warn'),
            when(d.lastSyncAt ?? rel.lastSyncAt),
            el('span', {}, 'push ', behind(d.behindPush, 'push'), ', pull ', behind(d.behindPull, 'pull')),
            `${d.sent} / ${d.received}`,
            err
              ? el('span', { class: 'error' }, `${err.code}: ${err.message}`)
              : d.upToDate
                ? badge('up to date', 'ok')
                : '—',
            rel.consecutiveFailures
              ? `${when(rel.nextRunAt)} (${rel.consecutiveFailures} failed)`
              : when(rel.nextRunAt),
          ],
          { 'data-relationship': rel.id },
        )
      }),
    )
    parts.push(
      el('h3', {}, `Host ${r.host}, reported ${when(r.publishedAt)}`),
      table(
        `Relationships of host ${r.host}`,
        [
          'Relationship',
          'Partner',
          'Database',
          'State',
          'Last round',
          'Entries behind',
          'Sent / received',
          'Error',
          'Next run',
        ],
        rows,
        'relationships',
      ),
    )
  }
  return section('rels-h', 'Relationships', ...parts)
}

function grantsSection(reports: readonly StatusReport[]): HTMLElement {
  const seen = new Set<string>()
  const rows = reports.flatMap((r) =>
    r.grants
      .filter((g) => !seen.has(`${g.role}/${g.id}`) && seen.add(`${g.role}/${g.id}`))
      .map((g) =>
        row([
          el('code', {}, g.id.slice(0, 12)),
          g.role,
          g.status === 'active' ? badge('active', 'ok') : badge(g.status, g.status === 'pending' ? 'warn' : 'bad'),
          g.role === 'issued' ? g.partner : g.source,
          g.databases.join(', '),
          g.permissions.join(', '),
          when(g.expiresAt),
          when(g.lastSyncAt),
        ]),
      ),
  )
  return section(
    'grants-h',
    'Grants',
    table(
      'Grants issued and received',
      ['Grant', 'Role', 'Status', 'With', 'Databases', 'Permissions', 'Expires', 'Last sync'],
      rows,
      'grants',
    ),
  )
}

function auditSection(reports: readonly StatusReport[]): HTMLElement {
  const parts: HTMLElement[] = []
  for (const r of reports) {
    if (!r.audit) continue
    const { verification, records } = checkAudit(r.audit)
    const status = verification.ok
      ? el(
          'p',
          { class: 'status-line ok', role: 'status', 'data-testid': 'audit-status', 'data-state': 'verified' },
          badge('verified', 'ok'),
          ` ${records.length} records shown, signatures and hash chain verified here.`,
        )
      : el(
          'p',
          { class: 'status-line bad', role: 'alert', 'data-testid': 'audit-status', 'data-state': 'tampered' },
          badge('tampered', 'bad'),
          ` Record ${verification.seq} is ${verification.problem}: ${verification.error.message}`,
        )
    const rows = [...records]
      .reverse()
      .map((c) =>
        row(
          [
            c.position,
            c.record ? when(c.record.at) : '—',
            c.record ? c.record.action : el('span', { class: 'error' }, 'does not verify'),
            c.record?.partner ?? '',
            c.record?.databases.join(', ') ?? '',
            c.record ? `${c.record.sent} / ${c.record.received}` : '',
            c.record?.code ?? '',
            c.flagged ? badge('flagged', 'bad') : badge('ok', 'ok'),
          ],
          { class: c.flagged ? 'flagged' : undefined, 'data-seq': c.position },
        ),
      )
    parts.push(
      el('h3', {}, `Trail reported by host ${r.host}`),
      status,
      table(
        'Audit records, newest first',
        ['#', 'When', 'Action', 'Partner', 'Databases', 'Sent / received', 'Code', 'Check'],
        rows,
        'audit',
      ),
    )
  }
  if (!parts.length) parts.push(el('p', { class: 'hint' }, 'No audit trail reported yet.'))
  return section('audit-h', 'Audit trail', ...parts)
}
