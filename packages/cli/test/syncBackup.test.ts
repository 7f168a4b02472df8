import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixture, type Fixture, writeNotes } from './helpers/fixture.ts'
import { weft, weftInTerminal } from './helpers/weft.ts'

let f: Fixture
let dir: string
let data: string
let env: Record<string, string>

beforeAll(async () => {
  f = await fixture()
  ;({ dir, data, env } = f)
})
afterAll(() => f.remove())

describe('weft sync, backup and restore', () => {
  it('syncs a database between folders with progress, then nothing is left to send', async () => {
    const to = join(dir, 'sync-target')
    const r = await weft(['sync', 'notes', '--from', data, '--to', to, '--json'], { WEFT_TENANT: 'acme' })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ added: 3, existing: 0 })
    const progress = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { phase: string; entries: number })
    expect(progress.at(-1)).toMatchObject({ phase: 'done', entries: 3 })
    const again = await weft(['sync', 'notes', '--from', data, '--to', to, '--json'], { WEFT_TENANT: 'acme' })
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0 })
  })

  it('draws a progress bar on a terminal', async () => {
    const bigger = join(dir, 'bar-source')
    expect((await weft(['tenant', 'create'], { ...env, WEFT_DATA: bigger })).code).toBe(0)
    await writeNotes(bigger, 300)
    const r = await weftInTerminal(['sync', 'notes', '--from', bigger, '--to', join(dir, 'bar-target')], {
      WEFT_TENANT: 'acme',
    })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/sync notes \[[█░]+\] 100% \| 300\/300 entries/)
    expect(r.stdout).toContain('synced notes: 300 added')
  })

  it('backs up and restores a tenant: the restored folder opens with the password and reads everything', async () => {
    const file = join(dir, 'acme.weftbak')
    const b = await weft(['backup', '--out', file, '--json'], env)
    expect(b.code).toBe(0)
    expect((await readFile(file)).includes(Buffer.from('note 0'))).toBe(false) // ciphertext only
    const restored = join(dir, 'restored')
    const r = await weft(['restore', '--from', file, '--json'], { ...env, WEFT_DATA: restored })
    expect(r.code).toBe(0)
    const show = JSON.parse(
      (await weft(['db', 'show', 'notes', '--json'], { ...env, WEFT_DATA: restored })).stdout,
    ) as {
      documents: unknown[]
    }
    expect(show.documents).toHaveLength(3)
    expect((await weft(['verify'], { ...env, WEFT_DATA: restored })).code).toBe(0)
    // The backup file is never overwritten, and a folder holding the tenant is never restored over.
    expect((await weft(['backup', '--out', file], env)).code).toBe(1)
    expect((await weft(['restore', '--from', file], { ...env, WEFT_DATA: restored })).stderr).toContain(
      'WEFT_CLI_TENANT_EXISTS',
    )
  })

  it('refuses a cut or changed backup and restores nothing', async () => {
    const file = join(dir, 'cut.weftbak')
    expect((await weft(['backup', '--out', file], env)).code).toBe(0)
    const bytes = await readFile(file)
    await writeFile(join(dir, 'cut-short.weftbak'), bytes.subarray(0, bytes.length - 10))
    const changed = Buffer.from(bytes)
    changed[changed.length >> 1]! ^= 1
    await writeFile(join(dir, 'changed.weftbak'), changed)
    for (const name of ['cut-short.weftbak', 'changed.weftbak']) {
      const target = join(dir, `restore-${name}`)
      const r = await weft(['restore', '--from', join(dir, name)], { ...env, WEFT_DATA: target })
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('WEFT_CLI_BAD_BACKUP')
      expect((await weft(['tenant', 'list', '--json'], { WEFT_DATA: target })).stdout).not.toContain('acme')
    }
  })
})
