import { randomBytes, toBase64Url, utf8, type KeyValueStore } from '@weft/core/backend'

const KEY = 'server/identity'

/**
 * This server's identity: 16 random bytes (base64url), made at its first start and kept in its
 * key-value store, so a restart on the same data keeps it. Sign-ins and registrations name it, so
 * one made for another server is refused here, and one made for this server is refused elsewhere.
 */
export async function serverIdentity(kv: KeyValueStore): Promise<string> {
  const held = await kv.get(KEY)
  if (held) return new TextDecoder().decode(held)
  const id = toBase64Url(randomBytes(16))
  await kv.put(KEY, utf8(id))
  return id
}
