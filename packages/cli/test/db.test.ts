import { describe, expect, it } from 'vitest'
import { useFixture } from './helpers/fixture.ts'
import { weft } from './helpers/weft.ts'

const f = useFixture()

describe('weft db', () => {
  it('lists databases, shows documents as JSON and a document history', async () => {
    const list = JSON.parse((await weft(['db', 'list', '--json'], f.env)).stdout) as {
      databases: { db: string; documents: number }[]
    }
    expect(list.databases.find((d) => d.db === 'notes')?.documents).toBe(3)
    const show = JSON.parse((await weft(['db', 'show', 'notes', '--json'], f.env)).stdout) as {
      documents: { data: { title: string } }[]
      locked: number
    }
    expect(show.documents.map((d) => d.data.title).sort()).toEqual(['note 0', 'note 1', 'note 2'])
    expect(show.locked).toBe(0)
    const one = JSON.parse((await weft(['db', 'show', 'notes', '--doc', f.docId, '--json'], f.env)).stdout) as {
      data: unknown
    }
    expect(one.data).toMatchObject({ title: 'note 0' })
    const history = JSON.parse((await weft(['db', 'history', 'notes', f.docId, '--json'], f.env)).stdout) as {
      entries: { kind: string; author: string }[]
    }
    expect(history.entries[0]!.kind).toBe('create')
    const info = JSON.parse((await weft(['tenant', 'info', '--json'], f.env)).stdout) as { device: string }
    expect(history.entries[0]!.author).toBe(info.device)
  })

  it('refuses a database the tenant does not have, without creating it', async () => {
    const r = await weft(['db', 'show', 'nothing-here'], f.env)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('WEFT_CLI_NO_DATABASE')
    expect((await weft(['tenant', 'info'], f.env)).stdout).not.toContain('nothing-here')
  })

  it('an unknown flag is a usage error (exit 2) with help, not a stack trace', async () => {
    const r = await weft(['db', 'list', '--frobnicate'], f.env)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("unknown option '--frobnicate'")
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
