import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready } from '@weft/core'
import { WeftServer } from '@weft/server'
import { weft } from './helpers/weft.ts'

let dir: string
let server: WeftServer
let off: WeftServer

beforeAll(async () => {
  await ready()
  dir = await mkdtemp(join(tmpdir(), 'weft-cli-console-'))
  // A stand-in console (the real bundle is tested in Chromium): the command checks the route, not the page.
  for (const f of ['index.html', 'console.js', 'console.css']) await writeFile(join(dir, f), `/* ${f} */`)
  server = await WeftServer.start({ console: { dir } })
  off = await WeftServer.start({ console: false })
})
afterAll(async () => {
  await Promise.all([server.close(), off.close()])
  await rm(dir, { recursive: true, force: true })
})

describe('weft console', () => {
  it("checks the server's console and prints its address; --json says whether a browser was opened", async () => {
    const r = await weft(['console', '--server', server.url, '--no-open'], {})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe(`${server.url}/console/`)
    const j = await weft(['console', '--json'], { WEFT_SERVER_URL: `${server.url}/` })
    expect(j.code, j.stderr).toBe(0)
    expect(JSON.parse(j.stdout)).toEqual({ url: `${server.url}/console/`, opened: false })
  })

  it('a server with the console switched off is refused with its code and a remedy; no server is a usage error', async () => {
    const r = await weft(['console', '--server', off.url, '--no-open'], {})
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('WEFT_FEATURE_DISABLED')
    expect(r.stderr).toContain('remedy:')
    expect(r.stderr).not.toMatch(/\n\s+at /)
    const none = await weft(['console', '--no-open'], {})
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('WEFT_CLI_NO_SERVER')
    const help = await weft(['console', '--help'], {})
    expect(help.stdout).toContain('--server <url>')
    expect(help.stdout).toContain('--no-open')
  })
})
