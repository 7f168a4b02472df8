import type { IncomingMessage } from 'node:http'
import { ErrorCodes, WeftError, type EntryEnvelope } from '@weft/core/backend'
import { parseDbRequest, parseMailRequest, parseTenantRequest, type ProtocolLimits } from '@weft/protocol'
import type { Session } from './Authenticator.ts'
import type { ClusterLivePush } from './cluster/ClusterLivePush.ts'
import { handleDbOp } from './handleDbOp.ts'
import { handleTenantOp, tenantUsage, type TenantOpContext } from './handleTenantOp.ts'
import { rateLimited } from './http.ts'
import type { MemoryBudget, Hold } from './MemoryBudget.ts'
import type { ServerMetrics } from './observability/ServerMetrics.ts'
import type { Route } from './parseRoute.ts'
import type { NamedTenant, Seen } from './RequestSignIn.ts'
import { resolveTenant } from './resolveTenant.ts'
import type { TenantQuota, WeftServerOptions } from './ServerOptions.ts'
import type { TenantState } from './TenantState.ts'
import type { Tenancy } from './tenancy/Tenancy.ts'

/** What the relay's operations need from the server. */
export interface OpContext {
  readonly tenants: TenantState
  readonly tenantOps: TenantOpContext
  /** The server's tenancy (opened before any request). */
  readonly tenancy: () => Tenancy
  /** The tenant's limits (`WEFT_SERVER_ERROR` when the operator's `forTenant` fails). */
  readonly quotaFor: (tenant: string) => TenantQuota
  readonly limits: ProtocolLimits
  readonly options: Pick<WeftServerOptions, 'authors'>
  /** What the server holds in memory per tenant. */
  readonly budget: MemoryBudget
  readonly metrics: ServerMetrics | undefined
  /** Live push to the other processes over the same storage, once the server joined them. */
  readonly livePush: () => ClusterLivePush | undefined
}

/** One operation request: its route, who sent it, and its decoded body. */
export interface OpCall {
  readonly route: Exclude<Route, { kind: 'ws' }>
  readonly req: IncomingMessage
  /** The request's session; absent for the tenant operations before sign-in. */
  readonly session: Session | undefined
  readonly named: NamedTenant
  readonly body: unknown
  /** What the request holds in its tenant's memory budget, released once its response is written. */
  readonly holds: Hold[]
  readonly address: string
  readonly seen: Seen
}

/**
 * Runs the operation a route names: a tenant operation before sign-in (`register`, `challenge`, …)
 * for the tenant the request names, or a signed-in session's usage, mailbox or database operation
 * on its tenant's data (kept under the tenant's storage name, which a reset changes).
 */
export async function handleOp(ctx: OpContext, call: OpCall): Promise<unknown> {
  const { route, body } = call
  const tenancy = ctx.tenancy()
  if (route.kind === 'tenant' && route.op !== 'usage') {
    const tenant = resolveTenant(call.named)
    if (tenant === undefined)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'name the tenant in the path, X-Tenant-ID header or subdomain')
    call.seen.tenant = tenant
    if (route.op === 'register') await tenancy.admitRegistration(tenant)
    else await tenancy.admit(tenant, { adopt: false })
    const caller = { address: call.address, host: call.req.headers.host }
    const result = await handleTenantOp(ctx.tenantOps, tenant, parseTenantRequest(route.op, body), caller)
    if (route.op === 'register') {
      await tenancy.catalogue.ensure(tenant)
      tenancy.emit(tenant, 'member-registered', result as Record<string, unknown>)
    }
    return result
  }
  const session = call.session!
  const { usage, registry, mailbox } = ctx.tenants
  const quota = ctx.quotaFor(session.tenant)
  // The tenant's data is kept under its storage name (which a reset changes).
  const storage = await ctx.tenants.generations.storageName(session.tenant)
  if (route.kind === 'tenant') return tenantUsage(session, { usage, registry, mailbox, storage }, quota)
  if (route.kind === 'mail') {
    tenancy.requireFlag(session.tenant, 'mailbox')
    const request = parseMailRequest(route.op, body)
    if (request.op === 'put') return mailbox.put(storage, session.key, request, quota)
    if (request.op === 'delete') return mailbox.delete(storage, session.key, request)
    return mailbox.list(storage, request.after, request.limit)
  }
  const { tenant } = session
  // The tenant's own entry size limit, when it sets one below the server's.
  const limits = { ...ctx.limits, maxEntryBytes: tenancy.settings(tenant).config.maxEntryBytes }
  const request = parseDbRequest(route.op, body, limits)
  const store = await usage.open(storage, route.db, quota)
  const append = async (entries: readonly EntryEnvelope[]) => {
    const r = await usage.append(storage, route.db, entries, quota)
    ctx.metrics?.stored(r.added, entries)
    ctx.livePush()?.stored(tenant, route.db, r.added.length, store, r.arrived)
    // The use the append's own step left, else read again (its record could not be written).
    tenancy.appends.report(tenant, route.db, r, quota, () => (r.used ? Promise.resolve(r.used) : usage.usage(storage)))
    return r
  }
  const authors = ctx.options.authors ?? 'members'
  const hold = (bytes: number): Hold => {
    const h = ctx.budget.hold(tenant, bytes)
    if (!h) throw rateLimited("the server holds too much for this tenant's responses now; retry shortly", 1)
    call.holds.push(h)
    return h
  }
  return handleDbOp({ tenant, store, append, registry: ctx.tenants.admission, limits, authors, hold }, request)
}
