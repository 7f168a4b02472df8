import { describe, expect, it } from 'vitest'
import { useFixture, PASSWORD } from './helpers/fixture.ts'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { weft, weftInTerminal } from './helpers/weft.ts'

const f = useFixture()

describe('weft tenant', () => {
  it('lists, opens and describes a tenant; --json is machine-readable', async () => {
    expect((await weft(['tenant', 'list', '--json'], f.env)).stdout).toContain('"acme"')
    const info = await weft(['tenant', 'info', '--json'], f.env)
    expect(info.code).toBe(0)
    const parsed = JSON.parse(info.stdout) as { tenant: string; databases: string[]; keys: { id: string }[] }
    expect(parsed.tenant).toBe('acme')
    expect(parsed.databases).toContain('notes')
    expect(parsed.keys.map((k) => k.id)).toContain('default')
  })

  it('refuses a wrong password with its code and a remedy, exit 1, no stack trace', async () => {
    const r = await weft(['tenant', 'open'], { ...f.env, WEFT_PASSWORD: 'wrong' })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('WEFT_WRONG_PASSWORD')
    expect(r.stderr).toContain('remedy:')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    const debug = await weft(['tenant', 'open', '--debug'], { ...f.env, WEFT_PASSWORD: 'wrong' })
    expect(debug.stderr).toMatch(/\n\s+at /)
  })

  it('needs a password source when there is no terminal: exit 2 with the remedy', async () => {
    const r = await weft(['tenant', 'open'], { WEFT_DATA: f.data, WEFT_TENANT: 'acme' })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('WEFT_CLI_NO_PASSWORD')
    expect(r.stderr).toContain('--password-file')
  })

  it('reads the password from --password-file', async () => {
    const file = join(f.dir, 'pw.txt')
    await writeFile(file, `${PASSWORD}\n`)
    const r = await weft(['tenant', 'open', '--password-file', file], { WEFT_DATA: f.data, WEFT_TENANT: 'acme' })
    expect(r.code).toBe(0)
  })

  it('asks for the password on a terminal without echoing it', async () => {
    const r = await weftInTerminal(['tenant', 'open'], { WEFT_DATA: f.data, WEFT_TENANT: 'acme' }, [
      ['Password of acme: ', `${PASSWORD}\r`],
    ])
    expect(r.stdout).toContain('opened acme')
    expect(r.stdout).not.toContain(PASSWORD)
    expect(r.code).toBe(0)
  })

  it('changes the password: the old one stops working, the new one opens', async () => {
    const other = join(f.dir, 'pw-change')
    const e = { WEFT_DATA: other, WEFT_TENANT: 'acme', WEFT_PASSWORD: 'first password' }
    expect((await weft(['tenant', 'create'], e)).code).toBe(0)
    expect((await weft(['tenant', 'change-password'], { ...e, WEFT_NEW_PASSWORD: 'second password' })).code).toBe(0)
    expect((await weft(['tenant', 'open'], e)).stderr).toContain('WEFT_WRONG_PASSWORD')
    expect((await weft(['tenant', 'open'], { ...e, WEFT_PASSWORD: 'second password' })).code).toBe(0)
  })
})
