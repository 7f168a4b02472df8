import { ErrorCodes, WeftError } from '@weft/core/backend'
import { isTenantId } from '../parseRoute.ts'
import { QUOTA_FIELDS } from '../tenantQuota.ts'
import type { NewTenant, TenantPatch } from './TenantCatalogue.ts'
import type { TenantConfig, TenantFlags, TenantQuotaOverrides, WebhookConfig } from './TenantRecord.ts'

/** Largest admin request body. */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024

const MAX_FLAGS = 64
const FLAG_NAME = /^[a-z][A-Za-z0-9-]{0,63}$/
const ISOLATION = /^[a-z][a-z0-9-]{0,31}$/
const MAX_WEBHOOKS = 8
const MAX_ISOLATIONS = 8

const bad = (message: string) => new WeftError(ErrorCodes.INVALID_ARGUMENT, message)

/** Parses a JSON body already read within {@link MAX_ADMIN_BODY_BYTES}; an empty body is `{}`. */
export function parseJsonBody(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length === 0) return {}
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new WeftError(ErrorCodes.PROTOCOL, 'the body is not JSON')
  }
  return object(value, 'the body')
}

/** `POST /v1/admin/tenants`. */
export function parseNewTenant(body: Record<string, unknown>): NewTenant {
  only(body, ['id', 'name', 'isolation', 'quotas', 'config', 'flags'], 'a new tenant')
  if (typeof body.id !== 'string' || !isTenantId(body.id))
    throw bad('id: a tenant id is 1-512 bytes of text without / or control characters')
  const isolation = body.isolation
  if (isolation !== undefined && (typeof isolation !== 'string' || !ISOLATION.test(isolation)))
    throw bad('isolation: a lowercase name of at most 32 characters')
  return {
    id: body.id,
    ...parsePatch({ ...body, id: undefined, isolation: undefined }),
    ...(isolation !== undefined ? { isolation: isolation as string } : {}),
  }
}

/** `POST /v1/admin/tenants/:id/move`: the isolation model to move the tenant to. */
export function parseMove(body: Record<string, unknown>): { isolation: string } {
  only(body, ['isolation'], 'a move')
  if (typeof body.isolation !== 'string' || !ISOLATION.test(body.isolation))
    throw bad('isolation: a lowercase name of at most 32 characters')
  return { isolation: body.isolation }
}

/** `PATCH /v1/admin/tenants/:id`: each field given replaces the record's. */
export function parsePatch(body: Record<string, unknown>): TenantPatch {
  only(body, ['name', 'quotas', 'config', 'flags', 'id', 'isolation'], 'a tenant change')
  if (body.id !== undefined || body.isolation !== undefined) throw bad('id and isolation cannot change')
  const out: { -readonly [K in keyof TenantPatch]: TenantPatch[K] } = {}
  if (body.name !== undefined) {
    if (typeof body.name !== 'string' || body.name.length === 0 || body.name.length > 200)
      throw bad('name: 1 to 200 characters')
    out.name = body.name
  }
  if (body.quotas !== undefined) out.quotas = parseQuotas(object(body.quotas, 'quotas'))
  if (body.config !== undefined) out.config = parseConfig(object(body.config, 'config'))
  if (body.flags !== undefined) out.flags = parseFlags(object(body.flags, 'flags'))
  return out
}

/** `POST /v1/admin/keys`. */
export function parseNewKey(body: Record<string, unknown>): { name: string; scopes: unknown[] } {
  only(body, ['name', 'scopes'], 'a new key')
  if (typeof body.name !== 'string' || body.name.length === 0 || body.name.length > 200)
    throw bad('name: 1 to 200 characters')
  if (!Array.isArray(body.scopes)) throw bad('scopes: a list of scopes')
  return { name: body.name, scopes: body.scopes }
}

/** Quota overrides: known fields, each a number ≥ 0 or `null` for no limit. */
function parseQuotas(q: Record<string, unknown>): TenantQuotaOverrides {
  only(q, QUOTA_FIELDS, 'quotas')
  const out: Partial<Record<(typeof QUOTA_FIELDS)[number], number>> = {}
  for (const f of QUOTA_FIELDS) {
    const v = q[f]
    if (v === undefined) continue
    const rate = f === 'tenantRequestsPerSecond' || f === 'tenantBurst'
    if (v === null) out[f] = Infinity
    else if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && !(rate && v === 0)) out[f] = v
    else throw bad(`quotas.${f}: a number ${rate ? 'above' : 'of at least'} 0, or null for no limit`)
  }
  return out
}

function parseConfig(c: Record<string, unknown>): TenantConfig {
  only(c, ['maxEntryBytes', 'webhooks', 'isolationChanges'], 'config')
  const out: { maxEntryBytes?: number; webhooks?: WebhookConfig[]; isolationChanges?: string[] } = {}
  if (c.isolationChanges !== undefined) out.isolationChanges = parseIsolations(c.isolationChanges)
  if (c.maxEntryBytes !== undefined) {
    if (!Number.isSafeInteger(c.maxEntryBytes) || (c.maxEntryBytes as number) < 1)
      throw bad('config.maxEntryBytes: a whole number of bytes above 0')
    out.maxEntryBytes = c.maxEntryBytes as number
  }
  if (c.webhooks !== undefined) {
    if (!Array.isArray(c.webhooks) || c.webhooks.length > MAX_WEBHOOKS)
      throw bad(`config.webhooks: a list of at most ${MAX_WEBHOOKS} webhooks`)
    out.webhooks = c.webhooks.map((w, i) => parseWebhook(object(w, `config.webhooks[${i}]`)))
  }
  return out
}

function parseIsolations(v: unknown): string[] {
  if (!Array.isArray(v) || v.length > MAX_ISOLATIONS || !v.every((m) => typeof m === 'string' && ISOLATION.test(m)))
    throw bad(`config.isolationChanges: a list of at most ${MAX_ISOLATIONS} isolation model names`)
  return [...new Set(v as string[])]
}

function parseWebhook(w: Record<string, unknown>): WebhookConfig {
  only(w, ['url', 'secret'], 'a webhook')
  let url: URL
  try {
    url = new URL(String(w.url))
  } catch {
    throw bad('webhook url: an http or https URL')
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || String(w.url).length > 2048)
    throw bad('webhook url: an http or https URL of at most 2048 characters')
  if (typeof w.secret !== 'string' || w.secret.length < 16 || w.secret.length > 256)
    throw bad('webhook secret: 16 to 256 characters')
  return { url: url.href, secret: w.secret }
}

function parseFlags(f: Record<string, unknown>): TenantFlags {
  const names = Object.keys(f)
  if (names.length > MAX_FLAGS) throw bad(`flags: at most ${MAX_FLAGS}`)
  const out: Record<string, boolean> = {}
  for (const n of names) {
    if (!FLAG_NAME.test(n) || typeof f[n] !== 'boolean')
      throw bad(`flags: names like live-push or livePush, true or false`)
    out[n] = f[n] as boolean
  }
  return out
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} must be a JSON object`)
  return v as Record<string, unknown>
}

function only(o: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw bad(`${what} has no field ${JSON.stringify(k).slice(0, 80)}`)
}
