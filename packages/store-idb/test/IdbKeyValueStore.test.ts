import 'fake-indexeddb/auto'
import { ErrorCodes, isWeftError } from '@weft/core'
import { IdbStoreFactory } from '@weft/store-idb'
import { deleteDB } from 'idb'
import { afterEach, describe, expect, it } from 'vitest'

describe('IdbKeyValueStore', () => {
  let factory: IdbStoreFactory
  let databases = 0
  const fresh = () => (factory = new IdbStoreFactory({ name: `records-${++databases}` }))

  afterEach(async () => {
    await factory.close()
    await deleteDB(factory.name)
  })

  it('puts, gets, deletes and keeps its own copy', async () => {
    const kv = await fresh().openKeyValueStore('records')
    const value = new Uint8Array([1, 2, 3])
    await kv.put('a', value)
    value[0] = 9
    expect(await kv.get('a')).toEqual(new Uint8Array([1, 2, 3]))
    expect(await kv.get('missing')).toBeUndefined()
    await kv.delete('a')
    expect(await kv.get('a')).toBeUndefined()
  })

  it('stores exactly the bytes of a view into a larger buffer', async () => {
    const kv = await fresh().openKeyValueStore('records')
    const big = new Uint8Array(64).map((_, i) => i)
    await kv.put('view', big.subarray(10, 13))
    const got = await kv.get('view')
    expect(got).toEqual(new Uint8Array([10, 11, 12]))
    expect(got!.buffer.byteLength).toBe(3)
  })

  it('pages through records by prefix in key order, after a given key, and keeps record stores apart', async () => {
    const f = fresh()
    const [kv, other] = [await f.openKeyValueStore('one'), await f.openKeyValueStore('two')]
    for (const k of ['p/s/c', 'p/s/a', 'p/s/b', 'p/t', 'p/s'])
      await kv.put(k, new Uint8Array([k.charCodeAt(k.length - 1)]))
    await other.put('p/s/0', new Uint8Array([0]))
    const page = (after: string | undefined, limit: number) =>
      kv.entries!('p/s/', { after, limit }).then((rows) => rows.map(([k, v]) => `${k}=${String.fromCharCode(v[0]!)}`))
    expect(await page(undefined, 2)).toEqual(['p/s/a=a', 'p/s/b=b'])
    expect(await page('p/s/b', 2)).toEqual(['p/s/c=c'])
    expect(await page('p/s/c', 2)).toEqual([])
    expect(await page('p/t', 2)).toEqual([])
    expect(await page('a', 10)).toEqual(['p/s/a=a', 'p/s/b=b', 'p/s/c=c'])
  })

  it('lists keys by prefix, sorted, and keeps record stores apart', async () => {
    const f = fresh()
    const [one, two] = [await f.openKeyValueStore('one'), await f.openKeyValueStore('two')]
    const keys = ['tenant/b', 'tenant/a', 'tenant', 'tenanu', 'x\uffff', 'x\uffff\uffffz', 'x', 'é']
    for (const k of keys) await one.put(k, new Uint8Array([1]))
    await two.put('tenant/c', new Uint8Array([2]))
    expect(await one.keys()).toEqual([...keys].sort())
    expect(await one.keys('tenant/')).toEqual(['tenant/a', 'tenant/b'])
    expect(await one.keys('tenant')).toEqual(['tenant', 'tenant/a', 'tenant/b'])
    expect(await one.keys('x\uffff')).toEqual(['x\uffff', 'x\uffff\uffffz'])
    expect(await one.keys('nothing')).toEqual([])
    expect(await two.keys()).toEqual(['tenant/c'])
  })

  it('survives closing and reopening its factory', async () => {
    const name = fresh().name
    await (await factory.openKeyValueStore('records')).put('k', new Uint8Array([7]))
    await factory.close()
    factory = new IdbStoreFactory({ name })
    expect(await (await factory.openKeyValueStore('records')).get('k')).toEqual(new Uint8Array([7]))
  })

  it('fails with WEFT_CLOSED after close', async () => {
    const kv = await fresh().openKeyValueStore('records')
    await kv.close()
    await expect(kv.get('k')).rejects.toSatisfy((e) => isWeftError(e, ErrorCodes.CLOSED))
    expect(await factory.openKeyValueStore('records')).not.toBe(kv)
  })
})
