import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixture, type Fixture } from './helpers/fixture.ts'
import { weft } from './helpers/weft.ts'

let f: Fixture
let env: Record<string, string>
let docId: string

beforeAll(async () => {
  f = await fixture()
  ;({ env, docId } = f)
})
afterAll(() => f.remove())

describe('weft db', () => {
  it('lists databases, shows documents as JSON and a document history', async () => {
    const list = JSON.parse((await weft(['db', 'list', '--json'], env)).stdout) as {
      databases: { db: string; documents: number }[]
    }
    expect(list.databases.find((d) => d.db === 'notes')?.documents).toBe(3)
    const show = JSON.parse((await weft(['db', 'show', 'notes', '--json'], env)).stdout) as {
      documents: { data: { title: string } }[]
      locked: number
    }
    expect(show.documents.map((d) => d.data.title).sort()).toEqual(['note 0', 'note 1', 'note 2'])
    expect(show.locked).toBe(0)
    const one = JSON.parse((await weft(['db', 'show', 'notes', '--doc', docId, '--json'], env)).stdout) as {
      data: unknown
    }
    expect(one.data).toMatchObject({ title: 'note 0' })
    const history = JSON.parse((await weft(['db', 'history', 'notes', docId, '--json'], env)).stdout) as {
      entries: { kind: string; author: string }[]
    }
    expect(history.entries[0]!.kind).toBe('create')
    const info = JSON.parse((await weft(['tenant', 'info', '--json'], env)).stdout) as { device: string }
    expect(history.entries[0]!.author).toBe(info.device)
  })

  it('refuses a database the tenant does not have, without creating it', async () => {
    const r = await weft(['db', 'show', 'nothing-here'], env)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('WEFT_CLI_NO_DATABASE')
    expect((await weft(['tenant', 'info'], env)).stdout).not.toContain('nothing-here')
  })

  it('an unknown flag is a usage error (exit 2) with help, not a stack trace', async () => {
    const r = await weft(['db', 'list', '--frobnicate'], env)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("unknown option '--frobnicate'")
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
