import { describe, expect, it } from 'vitest'
import { useFixture, writeNotes } from './helpers/fixture.ts'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { weft, weftInTerminal } from './helpers/weft.ts'

const f = useFixture()

describe('weft sync, backup and restore', () => {
  it('syncs a database between folders with progress, then nothing is left to send', async () => {
    const to = join(f.dir, 'sync-target')
    const r = await weft(['sync', 'notes', '--from', f.data, '--to', to, '--json'], { WEFT_TENANT: 'acme' })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ added: 3, existing: 0 })
    const progress = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { phase: string; entries: number })
    expect(progress.at(-1)).toMatchObject({ phase: 'done', entries: 3 })
    const again = await weft(['sync', 'notes', '--from', f.data, '--to', to, '--json'], { WEFT_TENANT: 'acme' })
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0 })
  })

  it('draws a progress bar on a terminal', async () => {
    const bigger = join(f.dir, 'bar-source')
    expect((await weft(['tenant', 'create'], { ...f.env, WEFT_DATA: bigger })).code).toBe(0)
    await writeNotes(bigger, 300)
    const r = await weftInTerminal(['sync', 'notes', '--from', bigger, '--to', join(f.dir, 'bar-target')], {
      WEFT_TENANT: 'acme',
    })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/sync notes \[[█░]+\] 100% \| 300\/300 entries/)
    expect(r.stdout).toContain('synced notes: 300 added')
  })

  it('backs up and restores a tenant: the restored folder opens with the password and reads everything', async () => {
    const file = join(f.dir, 'acme.weftbak')
    const b = await weft(['backup', '--out', file, '--json'], f.env)
    expect(b.code).toBe(0)
    expect((await readFile(file)).includes(Buffer.from('note 0'))).toBe(false) // ciphertext only
    const restored = join(f.dir, 'restored')
    const r = await weft(['restore', '--from', file, '--json'], { ...f.env, WEFT_DATA: restored })
    expect(r.code).toBe(0)
    const show = JSON.parse(
      (await weft(['db', 'show', 'notes', '--json'], { ...f.env, WEFT_DATA: restored })).stdout,
    ) as {
      documents: unknown[]
    }
    expect(show.documents).toHaveLength(3)
    expect((await weft(['verify'], { ...f.env, WEFT_DATA: restored })).code).toBe(0)
    // The backup file is never overwritten, and a folder holding the tenant is never restored over.
    expect((await weft(['backup', '--out', file], f.env)).code).toBe(1)
    expect((await weft(['restore', '--from', file], { ...f.env, WEFT_DATA: restored })).stderr).toContain(
      'WEFT_CLI_TENANT_EXISTS',
    )
  })

  it('refuses a cut or changed backup and restores nothing', async () => {
    const file = join(f.dir, 'cut.weftbak')
    expect((await weft(['backup', '--out', file], f.env)).code).toBe(0)
    const bytes = await readFile(file)
    await writeFile(join(f.dir, 'cut-short.weftbak'), bytes.subarray(0, bytes.length - 10))
    const changed = Buffer.from(bytes)
    changed[changed.length >> 1]! ^= 1
    await writeFile(join(f.dir, 'changed.weftbak'), changed)
    for (const name of ['cut-short.weftbak', 'changed.weftbak']) {
      const target = join(f.dir, `restore-${name}`)
      const r = await weft(['restore', '--from', join(f.dir, name)], { ...f.env, WEFT_DATA: target })
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('WEFT_CLI_BAD_BACKUP')
      expect((await weft(['tenant', 'list', '--json'], { WEFT_DATA: target })).stdout).not.toContain('acme')
    }
  })
})
