import { describe, expect, it } from 'vitest'
import { ErrorCodes, isWeftError } from '@weft/core'
import { parseRoute } from '../src/parseRoute.ts'
import { RateLimiter } from '../src/RateLimiter.ts'
import { resolveTenant, subdomainTenant } from '../src/resolveTenant.ts'

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (err) {
    return isWeftError(err) ? err.code : 'not a WeftError'
  }
  return undefined
}

describe('resolveTenant', () => {
  it('takes the path first, then the header, the subdomain, and the token', () => {
    expect(resolveTenant({ path: 'a', header: 'a', subdomain: 'a', token: 'a' })).toBe('a')
    expect(resolveTenant({ header: 'b' })).toBe('b')
    expect(resolveTenant({ subdomain: 'c', token: 'c' })).toBe('c')
    expect(resolveTenant({ token: 'd' })).toBe('d')
    expect(resolveTenant({})).toBeUndefined()
  })

  it('refuses sources that disagree', () => {
    expect(codeOf(() => resolveTenant({ path: 'a', header: 'b' }))).toBe(ErrorCodes.TENANT_MISMATCH)
    expect(codeOf(() => resolveTenant({ header: 'a', subdomain: 'b' }))).toBe(ErrorCodes.TENANT_MISMATCH)
    expect(codeOf(() => resolveTenant({ path: 'a', token: 'b' }))).toBe(ErrorCodes.FORBIDDEN)
  })

  it('reads a tenant from a subdomain of the base domain only', () => {
    expect(subdomainTenant('acme.sync.example.com:443', 'sync.example.com')).toBe('acme')
    expect(subdomainTenant('sync.example.com', 'sync.example.com')).toBeUndefined()
    expect(subdomainTenant('a.b.sync.example.com', 'sync.example.com')).toBeUndefined()
    expect(subdomainTenant('acme.other.com', 'sync.example.com')).toBeUndefined()
    expect(subdomainTenant('acme.sync.example.com', undefined)).toBeUndefined()
  })
})

describe('parseRoute', () => {
  it('parses tenant, database and socket paths, with or without a tenant in the path', () => {
    expect(parseRoute('/v1/t/acme/db/orders/push')).toEqual({
      kind: 'db',
      pathTenant: 'acme',
      db: 'orders',
      op: 'push',
    })
    expect(parseRoute('/v1/db/orders/scan')).toEqual({ kind: 'db', db: 'orders', op: 'scan' })
    expect(parseRoute('/v1/t/org%3Aserver/session')).toEqual({
      kind: 'tenant',
      pathTenant: 'org:server',
      op: 'session',
    })
    expect(parseRoute('/v1/ws')).toEqual({ kind: 'ws' })
  })

  it('serves nothing else', () => {
    for (const p of [
      '/',
      '/v2/db/x/push',
      '/v1/db/x/drop',
      '/v1/t//session',
      '/v1/t/../db/x/head',
      '/v1/db/a%2Fb/head',
      '/v1/t/%ZZ/session',
    ]) {
      expect(parseRoute(p)).toBeUndefined()
    }
  })
})

describe('RateLimiter', () => {
  it('allows a burst, then the sustained rate, per client', () => {
    const r = new RateLimiter(10, 5)
    const t = 1_000_000
    expect(Array.from({ length: 6 }, () => r.take('a', t))).toEqual([true, true, true, true, true, false])
    expect(r.take('b', t)).toBe(true)
    expect(r.take('a', t + 100)).toBe(true) // one token back after 100 ms at 10/s
    expect(r.take('a', t + 100)).toBe(false)
  })
})

describe('tenant names', () => {
  it('refuses a tenant id with a slash or control characters from any source', () => {
    expect(codeOf(() => resolveTenant({ header: 'a/b' }))).toBe(ErrorCodes.PROTOCOL)
    expect(codeOf(() => resolveTenant({ header: 'a\nb' }))).toBe(ErrorCodes.PROTOCOL)
    expect(codeOf(() => resolveTenant({ header: '' }))).toBe(ErrorCodes.PROTOCOL)
  })
})
