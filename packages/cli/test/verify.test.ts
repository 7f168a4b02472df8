import { describe, expect, it } from 'vitest'
import { useFixture } from './helpers/fixture.ts'
import { join } from 'node:path'
import { LevelStoreFactory } from '@weft/store-level'
import { weft } from './helpers/weft.ts'

const f = useFixture()

describe('weft verify', () => {
  it('passes on a sound folder and fails (exit 1) on a tampered entry', async () => {
    expect((await weft(['verify'], f.env)).code).toBe(0)
    const copy = join(f.dir, 'tampered')
    expect((await weft(['backup', '--out', join(f.dir, 'for-tamper.weftbak')], f.env)).code).toBe(0)
    expect(
      (await weft(['restore', '--from', join(f.dir, 'for-tamper.weftbak')], { ...f.env, WEFT_DATA: copy })).code,
    ).toBe(0)
    // Flip one byte of one stored entry, below the store's API.
    const level = new LevelStoreFactory({ path: copy })
    const store = await level.openChangeStore('acme/notes')
    const [hash] = await store.getAllChangeHashes()
    await store.close()
    await level.close()
    const { Level } = await import('level')
    const raw = new Level<string, Uint8Array>(copy, { keyEncoding: 'utf8', valueEncoding: 'view' })
    const key = `!weft-store!!acme/notes!!e!${hash}`
    const bytes = (await raw.get(key))!
    bytes[bytes.length - 1]! ^= 1
    await raw.put(key, bytes)
    await raw.close()
    const r = await weft(['verify', '--json'], { ...f.env, WEFT_DATA: copy })
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as { ok: boolean; stores: { store: string; problems: string[] }[] }
    expect(report.ok).toBe(false)
    expect(report.stores.find((s) => s.store === 'acme/notes')!.problems.join()).toContain(hash)
  })
})
