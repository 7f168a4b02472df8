import { describe, expect, it } from 'vitest'
import { ErrorCodes, MemoryKeyValueStore, ready } from '@weft/core/backend'
import { ApiKeys, newApiKey } from '../src/tenancy/ApiKeys.ts'

describe('ApiKeys', () => {
  it('stores a hash and the prefix, never the secret', async () => {
    await ready()
    const kv = new MemoryKeyValueStore()
    const keys = new ApiKeys(kv)
    const { key, info } = await keys.create('ops', ['admin:tenants'])
    const secret = key.slice(22)
    for (const k of await kv.keys()) {
      const stored = Buffer.from((await kv.get(k))!)
      expect(stored.includes(Buffer.from(secret))).toBe(false)
      expect(stored.includes(Buffer.from(Buffer.from(secret, 'base64url')))).toBe(false)
    }
    expect(info).toMatchObject({ prefix: key.slice(5, 21), scopes: ['admin:tenants'] })
    expect(await keys.verify(key)).toMatchObject({ prefix: info.prefix })
  })

  it('refuses unknown, wrong and revoked keys alike, in about the same time', async () => {
    await ready()
    const keys = new ApiKeys(new MemoryKeyValueStore())
    const { key, info } = await keys.create('ops', ['admin:keys'])
    const { key: revoked, info: r } = await keys.create('old', ['admin:keys'])
    await keys.revoke(r.prefix)
    const wrong = key.slice(0, 22) + (key[22] === 'A' ? 'B' : 'A') + key.slice(23)
    const unknown = `weft_${'Q'.repeat(16)}_${key.slice(22)}`
    // The three are timed in turn, sample by sample, so load from elsewhere on the machine falls on
    // all of them alike rather than on whichever ran during it.
    const paths = [unknown, wrong, revoked]
    const samples: number[][] = paths.map(() => [])
    for (let i = 0; i < 400; i++) {
      for (const [p, k] of paths.entries()) {
        const t = process.hrtime.bigint()
        const code = await keys.verify(k).then(
          () => 'ok',
          (err: { code: string }) => err.code,
        )
        if (i >= 100) samples[p]!.push(Number(process.hrtime.bigint() - t)) // the first 100 warm up
        expect(code).toBe(ErrorCodes.UNAUTHORIZED)
      }
    }
    const medians = samples.map((s) => s.sort((a, b) => a - b)[s.length >> 1]!)
    // The same work on every path (a record read, one hash, one constant-time compare): medians within 3x.
    expect(Math.max(...medians) / Math.min(...medians)).toBeLessThan(3)
    expect((await keys.list()).map((k) => k.prefix).sort()).toEqual([info.prefix, r.prefix].sort())
  })

  it('takes a bootstrap key once, and refuses one not in the key format', async () => {
    await ready()
    const keys = new ApiKeys(new MemoryKeyValueStore())
    const k = `weft_${'a'.repeat(16)}_${'b'.repeat(43)}`
    const first = await keys.add(k, 'bootstrap', ['admin:tenants'])
    expect(await keys.add(k, 'again', ['admin:keys'])).toEqual(first)
    await expect(keys.add('weft_x_y', 'bad', ['admin:tenants'])).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    })
  })

  it('never makes a prefix that starts with "-", which a command line would read as an option', () => {
    // Without the rule, about 31 of 2,000 prefixes would.
    const prefixes = Array.from({ length: 2_000 }, () => newApiKey().slice(5, 21))
    expect(prefixes.filter((p) => p.startsWith('-'))).toEqual([])
    expect(new Set(prefixes).size).toBe(prefixes.length)
  })
})
