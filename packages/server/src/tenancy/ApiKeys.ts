import {
  blake2b256,
  constantTimeEqual,
  ErrorCodes,
  fromBase64Url,
  packValue,
  randomBytes,
  toBase64Url,
  unpackValue,
  utf8,
  WeftError,
  type KeyValueStore,
} from '@weft/core/backend'
import { parseScopes, scopedTenant, type Scope } from './scopes.ts'

/** An API key as stored and listed: never the secret, only its prefix and the hash of the rest. */
export interface ApiKeyInfo {
  /** Public part of the key, its id: `weft_<prefix>_…`. */
  readonly prefix: string
  readonly name: string
  readonly scopes: readonly Scope[]
  /** The one tenant the key's scopes name, if it is scoped to one. */
  readonly tenant?: string
  readonly createdAt: number
  readonly lastUsedAt?: number
  readonly revokedAt?: number
}

interface StoredKey extends ApiKeyInfo {
  readonly hash: Uint8Array
}

const PREFIX = 'apikey/'
const KEY_SHAPE = /^weft_([A-Za-z0-9_-]{16})_([A-Za-z0-9_-]{43})$/
/** Hash input: a domain string, then the secret's 32 bytes. */
const DOMAIN = utf8('weft api key v1\0')
/** `lastUsedAt` is written at most this often per key. */
const LAST_USED_EVERY_MS = 60_000
/** A hash no secret has (compared against when the prefix is unknown, so both paths cost the same). */
const NO_KEY = new Uint8Array(32)

/**
 * API keys for the admin API and service access. A key is `weft_<prefix>_<secret>`: 12 random
 * bytes of prefix, the key's public id, and 32 random bytes of secret, both base64url. The server
 * stores the prefix, a BLAKE2b-256 hash of the secret and the key's scopes; it shows the key once,
 * when it is created. Checking a key reads its record by prefix and compares hashes in constant
 * time; a key that is malformed, unknown, wrong or revoked is refused with the same
 * `WEFT_UNAUTHORIZED` after the same work.
 */
export class ApiKeys {
  readonly #kv: KeyValueStore
  readonly #now: () => number

  constructor(kv: KeyValueStore, now: () => number = Date.now) {
    this.#kv = kv
    this.#now = now
  }

  /** Makes a key with these scopes; the result's `key` is the only time the secret is seen. */
  async create(name: string, scopes: readonly unknown[]): Promise<{ key: string; info: ApiKeyInfo }> {
    const key = newApiKey()
    return { key, info: await this.add(key, name, scopes) }
  }

  /**
   * Stores a key made elsewhere (the operator's bootstrap key), unless its prefix is stored
   * already. `WEFT_INVALID_ARGUMENT` when it is not a well-formed key.
   */
  async add(key: string, name: string, scopes: readonly unknown[]): Promise<ApiKeyInfo> {
    const m = KEY_SHAPE.exec(key)
    if (!m) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'an API key is weft_<16 base64url>_<43 base64url>')
    const parsed = parseScopes(scopes)
    const tenant = scopedTenant(parsed)
    const known = await this.#read(m[1]!)
    if (known) return info(known)
    const stored: StoredKey = {
      prefix: m[1]!,
      name,
      scopes: parsed,
      ...(tenant !== undefined ? { tenant } : {}),
      createdAt: this.#now(),
      hash: hashSecret(m[2]!),
    }
    await this.#kv.put(PREFIX + stored.prefix, packValue({ v: 1, ...stored }))
    return info(stored)
  }

  /** The key `presented` stands for; `WEFT_UNAUTHORIZED` for a malformed, unknown, wrong or revoked one. */
  async verify(presented: string): Promise<ApiKeyInfo> {
    const m = presented.length < 200 ? KEY_SHAPE.exec(presented) : null
    const stored = m ? await this.#read(m[1]!) : undefined
    const hash = hashSecret(m?.[2] ?? 'A'.repeat(43))
    const match = constantTimeEqual(hash, stored?.hash ?? NO_KEY)
    if (!stored || !match || stored.revokedAt !== undefined)
      throw new WeftError(ErrorCodes.UNAUTHORIZED, 'unknown or revoked API key')
    const now = this.#now()
    if (stored.lastUsedAt === undefined || now - stored.lastUsedAt >= LAST_USED_EVERY_MS) {
      const used = { ...stored, lastUsedAt: now }
      await this.#kv.put(PREFIX + stored.prefix, packValue({ v: 1, ...used }))
      return info(used)
    }
    return info(stored)
  }

  /** Revokes the key with this prefix: it is refused from now on. `WEFT_INVALID_ARGUMENT` for an unknown prefix. */
  async revoke(prefix: string): Promise<ApiKeyInfo> {
    const stored = await this.#read(prefix)
    if (!stored) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `no API key ${prefix}`)
    const revoked = { ...stored, revokedAt: stored.revokedAt ?? this.#now() }
    await this.#kv.put(PREFIX + prefix, packValue({ v: 1, ...revoked }))
    return info(revoked)
  }

  /** Every key, without secrets or hashes. */
  async list(): Promise<ApiKeyInfo[]> {
    const out: ApiKeyInfo[] = []
    for (const k of await this.#kv.keys(PREFIX)) {
      const stored = await this.#read(k.slice(PREFIX.length))
      if (stored) out.push(info(stored))
    }
    return out
  }

  /** Deletes every key scoped to `tenant` (when the tenant is deleted). */
  async forgetTenant(tenant: string): Promise<void> {
    for (const k of await this.#kv.keys(PREFIX)) {
      const stored = await this.#read(k.slice(PREFIX.length))
      if (stored?.tenant === tenant) await this.#kv.delete(k)
    }
  }

  async #read(prefix: string): Promise<StoredKey | undefined> {
    const raw = await this.#kv.get(PREFIX + prefix)
    if (!raw) return undefined
    const r = unpackValue<StoredKey & { v: number }>(raw, 64 * 1024)
    if (r?.v !== 1 || !(r.hash instanceof Uint8Array) || r.hash.length !== 32 || !Array.isArray(r.scopes))
      throw new WeftError(ErrorCodes.STORAGE_ERROR, 'an API key record of the server does not parse')
    return r
  }
}

/**
 * A new random key, `weft_<12 random bytes>_<32 random bytes>` in base64url; stored nowhere. The
 * prefix never starts with `-` (drawn again, 1 time in 64): it is typed on command lines, where it
 * would read as an option.
 */
export function newApiKey(): string {
  let prefix: string
  do prefix = toBase64Url(randomBytes(12))
  while (prefix.startsWith('-'))
  return `weft_${prefix}_${toBase64Url(randomBytes(32))}`
}

function hashSecret(secret: string): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = fromBase64Url(secret)
  } catch {
    bytes = new Uint8Array(32)
  }
  const input = new Uint8Array(DOMAIN.length + bytes.length)
  input.set(DOMAIN)
  input.set(bytes, DOMAIN.length)
  return blake2b256(input)
}

function info(k: StoredKey): ApiKeyInfo {
  const { hash: _hash, v: _v, ...rest } = k as StoredKey & { v?: number }
  return rest
}
