import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LevelStoreFactory } from '../src/index.ts'
import { sublevelName, storeNameOf } from '../src/sublevelName.ts'
import { tempDir } from './helpers/tempDir.ts'

describe('listing the stores of a LevelDB folder', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let factory: LevelStoreFactory
  beforeEach(async () => {
    dir = await tempDir()
    factory = new LevelStoreFactory({ path: dir.path })
  })
  afterEach(async () => {
    await factory.close()
    await dir.remove()
  })

  it('names every change store and record store, whatever characters they hold', async () => {
    const names = ['acme/orders', 'acme/orders2', 'ünï cödé/db', 'a!b/c~d', 'x/y/z']
    for (const n of names) await factory.openChangeStore(n)
    for (const n of ['weft-server', 'acme/records'])
      await (await factory.openKeyValueStore(n)).put('k', new Uint8Array([1]))
    const list = await factory.listStores()
    expect([...list.changeStores].sort()).toEqual([...names].sort())
    expect([...list.recordStores].sort()).toEqual(['acme/records', 'weft-server'])
  })

  it('decodes what it encodes, for any name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (name) => {
        expect(storeNameOf(sublevelName(name))).toBe(name)
      }),
    )
    expect(storeNameOf('~zz')).toBeUndefined()
    expect(storeNameOf('a~41')).toBeUndefined() // 'A' is never escaped: not a name this encoding makes
  })
})
