import { exclusively, randomBytes, toBase64Url, utf8, type KeyValueStore } from '@weft/core/backend'

const KEY = 'server/identity'

/**
 * This server's identity: 16 random bytes (base64url), made at its first start and kept in its
 * key-value store, so a restart on the same data keeps it. Sign-ins and registrations name it, so
 * one made for another server is refused here, and one made for this server is refused elsewhere.
 * Made under a lock every process over the storage honours, so processes that start together on
 * a fresh storage agree on one identity.
 */
export async function serverIdentity(kv: KeyValueStore): Promise<string> {
  const read = async () => {
    const held = await kv.get(KEY)
    return held && new TextDecoder().decode(held)
  }
  return (
    (await read()) ??
    exclusively(kv, KEY, async () => {
      const held = await read()
      if (held) return held
      const id = toBase64Url(randomBytes(16))
      await kv.put(KEY, utf8(id))
      return id
    })
  )
}
