import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCodes, toWeftError, WeftError } from '@weft/core/backend'
import { httpStatusOf, TENANT_HEADER } from '@weft/protocol'
import { bearer, discardThenClose, hasBody, headerValue, readBody, retryAfterOf } from '../http.ts'
import { isTenantId } from '../parseRoute.ts'
import { resolveTenant } from '../resolveTenant.ts'
import type { TenantQuota } from '../ServerOptions.ts'
import type { ApiKeyInfo } from './ApiKeys.ts'
import {
  MAX_ADMIN_BODY_BYTES,
  parseJsonBody,
  parseMove,
  parseNewKey,
  parseNewTenant,
  parsePatch,
} from './parseAdminRequest.ts'
import { allows, type Need } from './scopes.ts'
import type { Tenancy } from './Tenancy.ts'
import { listMembers, type MemberSources } from './listMembers.ts'
import { tenantStats, type StatsSources } from './tenantStats.ts'
import { publicRecord } from './TenantRecord.ts'

/** What the admin routes need from the server besides tenancy. */
export interface AdminContext extends StatsSources, MemberSources {
  readonly tenancy: Tenancy
  /** Counts an unauthenticated request (or a failed key) against the client address's rate. */
  readonly takeAddress: (req: IncomingMessage) => void
  /** The signed-in member's tenant for a session token (`WEFT_UNAUTHORIZED` otherwise). */
  readonly sessionTenant: (token: string | undefined) => Promise<string>
  readonly quotaFor: (tenant: string) => TenantQuota
}

const PAGE_DEFAULT = 100
const PAGE_MAX = 1_000

/**
 * Serves the tenancy endpoints when `path` is one of them: the admin API under `/v1/admin/`,
 * `/v1/tenants/:id/stats` and `/v1/tenants/:id/events`, `/v1/tenant/stats` (the tenant of the key
 * or header) and `/v1/settings` (a member's own). JSON in and out; errors as `{ code, message }`.
 * False when the path is none of them.
 */
export async function handleAdmin(ctx: AdminContext, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const parts = url.pathname.split('/').slice(1)
  if (parts[0] !== 'v1' || !['admin', 'tenants', 'tenant', 'settings'].includes(parts[1] ?? '')) return false
  let bodyRead = false
  try {
    const method = req.method ?? 'GET'
    const body = async () => {
      const raw = await readBody(req, MAX_ADMIN_BODY_BYTES)
      bodyRead = true
      return parseJsonBody(raw)
    }
    const answer = await route(ctx, req, res, method, parts.slice(1).map(decode), url, body)
    if (answer === 'streamed') return true
    send(res, answer.status ?? 200, answer.body)
  } catch (err) {
    const w = toWeftError(err, ErrorCodes.SERVER_ERROR)
    if (w.code === ErrorCodes.SERVER_ERROR || w.code === ErrorCodes.STORAGE_ERROR) ctx.log('admin request failed', err)
    const status = w.message.startsWith('no such operation') ? 404 : httpStatusOf(w.code)
    if (!res.headersSent) {
      res.setHeader('content-type', 'application/json')
      if (status === 429 || status === 503) res.setHeader('retry-after', String(retryAfterOf(err)))
      res.writeHead(status)
      res.end(JSON.stringify({ code: w.code, message: w.message }))
    } else res.destroy()
    if (!bodyRead && hasBody(req)) discardThenClose(req, MAX_ADMIN_BODY_BYTES)
  }
  return true
}

type Answer = { status?: number; body: unknown } | 'streamed'

async function route(
  ctx: AdminContext,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  p: (string | undefined)[],
  url: URL,
  body: () => Promise<Record<string, unknown>>,
): Promise<Answer> {
  const { tenancy } = ctx
  const [area, a, b, c] = p
  const n = p.length
  if (area === 'settings' && n === 1 && method === 'GET') {
    const tenant = await ctx.sessionTenant(bearer(req))
    await tenancy.admit(tenant, { adopt: true })
    return { body: { tenant, ...tenancy.settings(tenant) } }
  }
  if (area === 'tenant' && a === 'stats' && n === 2 && method === 'GET') {
    const { tenant } = await authorize(ctx, req, undefined, (t) => ({ tenant: t, right: 'read-stats' }))
    await tenancy.refresh(tenant)
    return { body: await tenantStats(ctx, tenant) }
  }
  if (area === 'tenants' && n === 3 && (b === 'stats' || b === 'events') && method === 'GET') {
    const right = b === 'stats' ? 'read-stats' : 'events'
    const { tenant } = await authorize(ctx, req, tenantId(a), (t) => ({ tenant: t, right }))
    await tenancy.refresh(tenant)
    if (!(await tenancy.catalogue.get(tenant))) throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `no tenant ${tenant}`)
    if (b === 'stats') return { body: await tenantStats(ctx, tenant) }
    const limits = tenancy.options.events ?? {}
    if (tenancy.events.listeners(tenant) >= (limits.maxStreamsPerTenant ?? 16))
      throw new WeftError(ErrorCodes.RATE_LIMITED, 'too many event streams open for this tenant')
    tenancy.streams.serve(req, res, tenancy.events, tenant, {
      maxBufferedBytes: limits.maxBufferedBytes ?? 1024 * 1024,
      heartbeatMs: limits.heartbeatMs ?? 15_000,
    })
    return 'streamed'
  }
  if (area !== 'admin') throw noSuch(method, url)
  if (a === 'keys') {
    await authorize(ctx, req, undefined, () => 'admin:keys')
    if (n === 2 && method === 'GET') return { body: { keys: await tenancy.keys.list() } }
    if (n === 2 && method === 'POST') {
      const k = parseNewKey(await body())
      const made = await tenancy.keys.create(k.name, k.scopes)
      return { status: 201, body: { key: made.key, ...made.info } }
    }
    if (n === 3 && method === 'DELETE' && b) return { body: await tenancy.keys.revoke(b) }
    throw noSuch(method, url)
  }
  if (a !== 'tenants') throw noSuch(method, url)
  await authorize(ctx, req, n > 2 ? tenantId(b) : undefined, () => 'admin:tenants')
  if (n === 2 && method === 'GET') {
    const page = await tenancy.catalogue.list(url.searchParams.get('after') ?? undefined, pageLimit(url))
    return { body: { tenants: page.tenants.map(publicRecord), ...(page.next ? { next: page.next } : {}) } }
  }
  if (n === 2 && method === 'POST') {
    const r = await tenancy.create(parseNewTenant(await body()))
    return { status: 201, body: publicRecord(r) }
  }
  const id = tenantId(b)
  await tenancy.refresh(id)
  if (n === 3 && method === 'GET') return { body: publicRecord(await found(tenancy, id)) }
  if (n === 3 && method === 'PATCH') {
    const r = await tenancy.catalogue.update(id, parsePatch(await body()))
    ctx.recheckLive(id) // flags such as livePush apply to open sockets at once
    tenancy.emit(id, 'tenant-updated', { tenant: publicRecord(r) })
    return { body: publicRecord(r) }
  }
  if (n === 3 && method === 'DELETE') return { body: { deleted: id, ...(await tenancy.deleteTenant(id)) } }
  if (n === 4 && method === 'GET' && c === 'members') {
    const after = url.searchParams.get('after') ?? undefined
    const page = await listMembers(ctx, id, { ...(after !== undefined ? { after } : {}), limit: pageLimit(url) })
    if (!page.members.length && after === undefined && !(await ctx.registry.keys(id))) await found(tenancy, id)
    return { body: { tenant: id, ...page } }
  }
  if (n === 4 && method === 'POST' && (c === 'suspend' || c === 'resume'))
    return { body: publicRecord(await tenancy.setSuspended(id, c === 'suspend')) }
  if (n === 4 && method === 'POST' && c === 'move')
    return { body: publicRecord(await tenancy.move(id, parseMove(await body()).isolation)) }
  if (n === 4 && method === 'GET' && c === 'export') {
    const lines = await tenancy.export(id)
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
    await pipeLines(lines, res)
    return 'streamed'
  }
  throw noSuch(method, url)
}

/**
 * Checks the request's API key against what it needs for the tenant the request names (path,
 * `X-Tenant-ID` header, the key's own tenant, the server's fixed tenant): every source present
 * must agree (`WEFT_TENANT_MISMATCH` between path and header, `WEFT_FORBIDDEN` for a key of another
 * tenant). A missing, unknown or revoked key is `WEFT_UNAUTHORIZED`, a key without the scope
 * `WEFT_FORBIDDEN`.
 */
async function authorize(
  ctx: AdminContext,
  req: IncomingMessage,
  path: string | undefined,
  need: (tenant: string) => Need,
): Promise<{ key: ApiKeyInfo; tenant: string }> {
  const presented = bearer(req)
  let key: ApiKeyInfo
  try {
    if (!presented)
      throw new WeftError(ErrorCodes.UNAUTHORIZED, 'an API key is required (Authorization: Bearer weft_…)')
    key = await ctx.tenancy.keys.verify(presented)
  } catch (err) {
    ctx.takeAddress(req)
    throw err
  }
  const header = headerValue(req.headers[TENANT_HEADER])
  const fixed = ctx.tenancy.options.tenant
  const tenant =
    resolveTenant({
      ...(path !== undefined ? { path } : {}),
      ...(header !== undefined ? { header } : {}),
      ...(key.tenant !== undefined ? { token: key.tenant } : {}),
      ...(fixed !== undefined ? { fixed } : {}),
    }) ?? ''
  if (!allows(key.scopes, need(tenant)))
    throw new WeftError(ErrorCodes.FORBIDDEN, 'the API key does not have the scope this needs')
  return { key, tenant }
}

async function found(tenancy: Tenancy, id: string) {
  const r = await tenancy.catalogue.get(id)
  if (!r) throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `no tenant ${id}`)
  return r
}

/** Writes lines to `res`, waiting whenever the client has not read what was sent. */
async function pipeLines(lines: AsyncGenerator<string>, res: ServerResponse): Promise<void> {
  try {
    for await (const line of lines) {
      if (res.destroyed) return
      if (!res.write(line)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done)
            res.off('close', done)
            resolve()
          }
          res.on('drain', done)
          res.on('close', done)
        })
      }
    }
    res.end()
  } catch (err) {
    res.destroy(err as Error)
  } finally {
    await lines.return(undefined)
  }
}

/** A page's size from `?limit=`: 100 by default, 1 to 1,000. */
function pageLimit(url: URL): number {
  const n = Math.floor(Number(url.searchParams.get('limit') ?? PAGE_DEFAULT))
  return Math.min(PAGE_MAX, Math.max(1, n || PAGE_DEFAULT))
}

function tenantId(s: string | undefined): string {
  if (s === undefined || !isTenantId(s)) throw new WeftError(ErrorCodes.PROTOCOL, 'no such operation: bad tenant id')
  return s
}

function noSuch(method: string, url: URL): WeftError {
  return new WeftError(ErrorCodes.PROTOCOL, `no such operation: ${method} ${url.pathname}`)
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s)
  } catch {
    return undefined
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
