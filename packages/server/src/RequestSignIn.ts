import type { IncomingMessage } from 'node:http'
import { ErrorCodes, isWeftError } from '@weft/core/backend'
import { TENANT_HEADER } from '@weft/protocol'
import type { Authenticator, Session } from './Authenticator.ts'
import { headerValue } from './http.ts'
import type { RequestRates } from './RequestRates.ts'
import { resolveTenant, subdomainTenant } from './resolveTenant.ts'
import type { TenantQuota, WeftServerOptions } from './ServerOptions.ts'
import type { Tenancy } from './tenancy/Tenancy.ts'

/** Where a request names its tenant, besides its session. */
export type NamedTenant = {
  readonly path?: string
  readonly header?: string
  readonly subdomain?: string
  readonly app?: string
  readonly fixed?: string
}

/** The tenant a request turned out to be for, once known (for its tenant's request counts). */
export type Seen = { tenant?: string }

/** What signing a request in needs from the server. */
export interface SignInContext {
  readonly auth: Authenticator
  readonly rates: RequestRates
  readonly options: Pick<WeftServerOptions, 'baseDomain' | 'resolveTenant'>
  /** The server's tenancy (opened before any request). */
  readonly tenancy: () => Tenancy
  /** The tenant's limits (`WEFT_SERVER_ERROR` when the operator's `forTenant` fails). */
  readonly quotaFor: (tenant: string) => TenantQuota
}

/**
 * The tenant a request names and the session it signs in with, for HTTP requests and socket
 * upgrades alike: every name the request gives must agree with its session's tenant, and every
 * signed-in request counts against its session's rate and its tenant's.
 */
export class RequestSignIn {
  readonly #ctx: SignInContext

  constructor(ctx: SignInContext) {
    this.#ctx = ctx
  }

  /** Where a request names its tenant: path, header, subdomain, the embedding app, the server's one tenant. */
  async named(pathTenant: string | undefined, req: IncomingMessage): Promise<NamedTenant> {
    const { options } = this.#ctx
    return {
      path: pathTenant,
      header: headerValue(req.headers[TENANT_HEADER]),
      subdomain: subdomainTenant(req.headers.host, options.baseDomain),
      app: (await options.resolveTenant?.(req)) ?? undefined,
      fixed: this.#ctx.tenancy().options.tenant,
    }
  }

  /**
   * The session of a signed-in request, checked before its body is read, then counted against the
   * session's rate and its tenant's. A request whose token fails counts against its address, so
   * made-up tokens are slowed like any anonymous call.
   */
  async signedIn(token: string | undefined, named: NamedTenant, address: string, seen: Seen): Promise<Session> {
    const { rates } = this.#ctx
    let session: Session
    try {
      session = await this.#session(token, named)
    } catch (err) {
      if (isWeftError(err, ErrorCodes.UNAUTHORIZED)) rates.takeAddress(address)
      throw err
    }
    seen.tenant = session.tenant
    // The session check just brought the tenant's cached state up to date.
    await this.#ctx.tenancy().admit(session.tenant, { adopt: true, fresh: false })
    rates.takeSession(session.token)
    await rates.takeTenant(session.tenant, this.#ctx.quotaFor(session.tenant))
    return session
  }

  /** The session of a request, checked against every tenant the request names. */
  async #session(token: string | undefined, named: NamedTenant): Promise<Session> {
    const session = await this.#ctx.auth.authenticate(token)
    resolveTenant({ ...named, token: session.tenant })
    return session
  }
}
