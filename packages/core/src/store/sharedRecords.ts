import { packValue, unpackValue } from '../codec/index.ts'
import type { KeyValueStore, TokenLimit, TokensTaken } from './KeyValueStore.ts'
import { Mutex } from './Mutex.ts'

/**
 * In-process stand-ins for the optional shared-storage steps of a {@link KeyValueStore}: each
 * helper uses the store's own method when it has one (PostgreSQL, shared by several processes),
 * else does the same within this process, which is all a store only one process opens needs.
 */

/** Locks per store and name, for stores without `exclusive`. */
const locks = new WeakMap<KeyValueStore, Map<string, { mutex: Mutex; users: number }>>()
/** Buckets per store, for stores without `takeToken`. */
const buckets = new WeakMap<KeyValueStore, Map<string, { tokens: number; at: number }>>()

/** Runs `fn` holding the lock `name` of `kv`: across processes where the store can, else in this one. */
export function exclusively<T>(kv: KeyValueStore, name: string, fn: () => Promise<T>): Promise<T> {
  if (kv.exclusive) return kv.exclusive(name, fn)
  let byName = locks.get(kv)
  if (!byName) locks.set(kv, (byName = new Map()))
  let lock = byName.get(name)
  if (!lock) byName.set(name, (lock = { mutex: new Mutex(), users: 0 }))
  lock.users++
  const held = lock
  return held.mutex.run(fn).finally(() => {
    if (--held.users === 0 && byName.get(name) === held) byName.delete(name)
  })
}

/**
 * Runs `fn` on the value of `key` holding the lock `name` of `kv`, and writes what it returns
 * (`undefined`: nothing): in two round trips where the store can (see `KeyValueStore.update`),
 * else as a read and a write inside {@link exclusively}.
 */
export function updateRecord(
  kv: KeyValueStore,
  name: string,
  key: string,
  fn: (value: Uint8Array | undefined) => Promise<Uint8Array | undefined>,
): Promise<void> {
  if (kv.update) return kv.update(name, key, fn)
  return exclusively(kv, name, async () => {
    const next = await fn(await kv.get(key))
    if (next !== undefined) await kv.put(key, next)
  })
}

/** Reads and deletes `key` in one step (single use): atomically across processes where the store can. */
export function takeRecord(kv: KeyValueStore, key: string): Promise<Uint8Array | undefined> {
  if (kv.take) return kv.take(key)
  return exclusively(kv, `take:${key}`, async () => {
    const value = await kv.get(key)
    if (value) await kv.delete(key)
    return value
  })
}

/** Adds `delta` to the counter `key` and returns its value (0 reads it); kept under `counter/<key>` without `increment`. */
export function addToCounter(kv: KeyValueStore, key: string, delta: number): Promise<number> {
  if (kv.increment) return kv.increment(key, delta)
  return exclusively(kv, `counter:${key}`, async () => {
    const raw = await kv.get(`counter/${key}`)
    const n = (raw ? unpackValue<number>(raw, 64) : 0) + delta
    if (delta !== 0) await kv.put(`counter/${key}`, packValue(n))
    return n
  })
}

/** Takes a token from the bucket `key`: 0 when taken, else seconds until one is free (see {@link takeTokens}). */
export async function takeToken(kv: KeyValueStore, key: string, limit: TokenLimit): Promise<number> {
  return (await takeTokens(kv, key, limit, 1)).wait
}

/**
 * Takes up to `most` tokens (at least 1) from the bucket `key` in one step: across processes where
 * the store can (see `KeyValueStore.takeTokens`), else in a bucket of this process.
 */
export async function takeTokens(
  kv: KeyValueStore,
  key: string,
  limit: TokenLimit,
  most: number,
): Promise<TokensTaken> {
  const want = Math.max(1, Math.floor(most))
  if (limit.rate === Infinity) return { taken: want, wait: 0 }
  if (kv.takeTokens) return kv.takeTokens(key, limit, want)
  let table = buckets.get(kv)
  if (!table) buckets.set(kv, (table = new Map()))
  const now = Date.now()
  const burst = Math.max(1, limit.burst)
  const b = table.get(key) ?? { tokens: burst, at: now }
  b.tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.at) / 1000) * limit.rate)
  b.at = now
  table.set(key, b)
  const taken = Math.min(want, Math.floor(b.tokens))
  if (taken >= 1) {
    b.tokens -= taken
    return { taken, wait: 0 }
  }
  return { taken: 0, wait: Math.max(1, Math.ceil((1 - b.tokens) / limit.rate)) }
}
