import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LevelStoreFactory } from '@weft/store-level'
import { fixture, type Fixture } from './helpers/fixture.ts'
import { weft } from './helpers/weft.ts'

let f: Fixture
let dir: string
let env: Record<string, string>

beforeAll(async () => {
  f = await fixture()
  ;({ dir, env } = f)
})
afterAll(() => f.remove())

describe('weft verify', () => {
  it('passes on a sound folder and fails (exit 1) on a tampered entry', async () => {
    expect((await weft(['verify'], env)).code).toBe(0)
    const copy = join(dir, 'tampered')
    expect((await weft(['backup', '--out', join(dir, 'for-tamper.weftbak')], env)).code).toBe(0)
    expect((await weft(['restore', '--from', join(dir, 'for-tamper.weftbak')], { ...env, WEFT_DATA: copy })).code).toBe(
      0,
    )
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
    const r = await weft(['verify', '--json'], { ...env, WEFT_DATA: copy })
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as { ok: boolean; stores: { store: string; problems: string[] }[] }
    expect(report.ok).toBe(false)
    expect(report.stores.find((s) => s.store === 'acme/notes')!.problems.join()).toContain(hash)
  })
})
