import { ErrorCodes, toBase64Url, WeftError } from '@weft/core/backend'
import { limitsOnWire } from './tenantQuota.ts'
import type { Bodies, TenantRequest } from '@weft/protocol'
import type { Authenticator, Session } from './Authenticator.ts'
import type { Mailbox } from './Mailbox.ts'
import type { MemberRegistry } from './MemberRegistry.ts'
import type { MemberTimes } from './MemberTimes.ts'
import type { RegistrationGate } from './RegistrationGate.ts'
import type { TenantDirectory } from './TenantDirectory.ts'
import type { TenantQuota } from './ServerOptions.ts'
import type { UsageLedger } from './UsageLedger.ts'

/** What the tenant operations need from the server. */
export interface TenantOpContext {
  readonly serverId: string
  readonly registry: MemberRegistry
  readonly directory: TenantDirectory
  /** When each key was admitted and last signed in. */
  readonly times: MemberTimes
  /** Erases the tenant's data (its databases, usage and mailbox become unreachable): a reset. */
  readonly eraseData: (tenant: string) => Promise<void>
  /** Who may create tenants, and how many. */
  readonly gate: RegistrationGate
  readonly auth: Authenticator
  readonly quotaFor: (tenant: string) => TenantQuota
  /** Whether a sign-in made for `origin` is for this server, reached through `host`. */
  readonly acceptsOrigin: (origin: unknown, host: string | undefined) => boolean
  /** The tenant's memberships changed: its open sockets check theirs again (in every process). */
  readonly membershipsChanged: (tenant: string) => void | Promise<void>
}

/** Where a pre-sign-in request came from. */
export interface Caller {
  readonly address: string
  readonly host: string | undefined
}

/** Runs `register`, `directory`, `transfer`, `reset`, `challenge` or `session` for `tenant`: the operations before sign-in. */
export async function handleTenantOp(
  ctx: TenantOpContext,
  tenant: string,
  request: TenantRequest,
  caller: Caller,
): Promise<unknown> {
  switch (request.op) {
    case 'register': {
      if (request.registration.server !== ctx.serverId) {
        throw new WeftError(ErrorCodes.FORBIDDEN, 'the registration was made for another server')
      }
      // Keys count against the tenant's quota; creating a tenant passes the server's gate.
      const r = await ctx.registry.register(tenant, request.registration, {
        maxMembers: ctx.quotaFor(tenant).maxMembersPerTenant,
        admitTenant: (held) => ctx.gate.admit(caller.address, request.token, held),
      })
      await ctx.auth.revoke(tenant, r.revoked)
      const { admin, add, revoke } = request.registration
      const gone = new Set(revoke.map(toBase64Url))
      const admitted = [admin, ...add].map(toBase64Url).filter((k) => !gone.has(k))
      // Informational, like every time noted here: the registration stands whether or not it is noted.
      await ctx.times.admitted(tenant, admitted).catch(() => undefined)
      // Revoked keys, and memberships whose `until` changed: their open sockets are checked now.
      await ctx.membershipsChanged(tenant)
      return { members: r.members, seq: r.seq } satisfies Bodies['register']['res']
    }
    case 'directory': {
      // Self-authenticating records, folded from the tenant's root: no tenant is created this way.
      const keys = await ctx.registry.keys(tenant)
      if (!keys)
        throw new WeftError(ErrorCodes.TENANT_NOT_FOUND, `this server holds no tenant ${tenant}: register it first`)
      const r = await ctx.directory.post(tenant, keys.root, request.records)
      await ctx.times.admitted(tenant, r.admitted).catch(() => undefined)
      if (r.removed.length) {
        await ctx.auth.revoke(tenant, r.removed)
        await ctx.membershipsChanged(tenant)
      }
      if (request.records.length > 0 && r.refused.length === request.records.length)
        throw new WeftError(ErrorCodes.MEMBER_RECORD_REFUSED, r.refused[0]!.message)
      return { added: r.added, held: r.held, refused: r.refused } satisfies Bodies['directory']['res']
    }
    case 'transfer':
    case 'reset': {
      const { control } = request
      if (control.server !== ctx.serverId)
        throw new WeftError(ErrorCodes.FORBIDDEN, 'the control operation was made for another server')
      const keys = await ctx.registry.keys(tenant)
      const r = await ctx.registry.control(tenant, control, {
        isDirectoryAdmin: (key) => (keys ? ctx.directory.isAdmin(tenant, keys.root, key) : Promise.resolve(false)),
        erase: async () => {
          await ctx.eraseData(tenant)
          await ctx.directory.erase(tenant)
          await ctx.times.erase(tenant)
        },
      })
      // Sessions signed in under the old admin or tenant are checked again (a reset ends them all).
      if (request.op === 'reset') await ctx.auth.endTenant(tenant)
      await ctx.membershipsChanged(tenant)
      if (request.op === 'reset') return { reset: true, seq: r.seq } satisfies Bodies['reset']['res']
      return { admin: r.admin!, seq: r.seq } satisfies Bodies['transfer']['res']
    }
    case 'challenge':
      return (await ctx.auth.challenge(tenant, request.publicKey, caller.address)) satisfies Bodies['challenge']['res']
    case 'session': {
      const server = {
        origin: request.server,
        serverId: request.serverId,
        accepted: ctx.acceptsOrigin(request.server, caller.host),
      }
      const s = await ctx.auth.session(tenant, request.publicKey, request.challenge, request.signature, server)
      // A sign-in that could not be noted still succeeds.
      await ctx.times.signedIn(tenant, s.key).catch(() => undefined)
      return { token: s.token, expiresAt: s.expiresAt, tenant } satisfies Bodies['session']['res']
    }
  }
}

/** What a signed-in tenant stores on the server, across entries, registrations and mailbox, and its limits. */
export async function tenantUsage(
  session: Session,
  parts: { usage: UsageLedger; registry: MemberRegistry; mailbox: Mailbox; storage: string },
  quota: TenantQuota,
): Promise<Bodies['usage']['res']> {
  // Three independent reads (each its own round trip on shared storage), made at once.
  const [used, registered, mail] = await Promise.all([
    parts.usage.usage(parts.storage),
    parts.registry.usage(session.tenant),
    parts.mailbox.usage(parts.storage),
  ])
  return {
    ...used,
    members: registered.members,
    registrationBytes: registered.bytes,
    mailMessages: mail.messages,
    mailBytes: mail.bytes,
    limits: limitsOnWire(quota),
  }
}
