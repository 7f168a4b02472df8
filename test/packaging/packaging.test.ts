/**
 * Proof from outside the repository: every package is built, packed with `npm pack` and installed
 * from its tarball into a fresh project under the OS temp folder, and there it runs with plain
 * Node, type-checks under `tsc --strict`, bundles for a browser with Vite, and serves from its bin.
 */
import { spawn } from 'node:child_process'
import { lstat, readFile, realpath } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../browser/helpers/launchChromium.ts'
import {
  buildPage,
  cleanEnv,
  packAndInstall,
  REPO,
  run,
  type BundleSize,
  type InstalledProject,
} from './helpers/installedProject.ts'
import { serveStatic } from './helpers/serveStatic.ts'

const PACKAGES = [
  '@weft/cli',
  '@weft/client',
  '@weft/core',
  '@weft/protocol',
  '@weft/server',
  '@weft/store-idb',
  '@weft/store-level',
  '@weft/store-postgres',
]

describe('the packages, installed from their tarballs in a fresh project', () => {
  let project: InstalledProject

  beforeAll(async () => {
    project = await packAndInstall()
  }, 240_000)

  afterAll(async () => {
    await project?.remove()
  })

  it('packs every package with its build, README and LICENSE, and no test or TypeScript-only entry', async () => {
    expect(project.tarballs.map((t) => t.name).sort()).toEqual(PACKAGES)
    for (const t of project.tarballs) {
      expect(t.files, t.name).toContain('README.md')
      expect(t.files, t.name).toContain('LICENSE')
      expect(t.files, t.name).toContain('dist/index.js')
      expect(t.files, t.name).toContain('dist/index.d.ts')
      expect(t.files, t.name).toContain('dist/index.js.map')
      expect(t.files, t.name).toContain('dist/index.d.ts.map')
      expect(
        t.files.filter((f) => /(^|\/)test\/|\.test\.|tsbuildinfo/.test(f)),
        t.name,
      ).toEqual([])
    }
    // The web console the server serves, bundled at build time.
    const server = project.tarballs.find((t) => t.name === '@weft/server')!
    for (const f of ['index.html', 'console.js', 'console.css']) expect(server.files).toContain(`dist/console-app/${f}`)
  })

  it('installs from the tarballs only, with no path back into the repository', async () => {
    for (const name of PACKAGES) {
      const installed = join(project.dir, 'node_modules', name)
      expect((await lstat(installed)).isSymbolicLink(), name).toBe(false)
      expect((await realpath(installed)).startsWith(REPO), name).toBe(false)
    }
    expect(await readFile(join(project.dir, 'package-lock.json'), 'utf8')).not.toContain(REPO)
  })

  it('runs a plain node ESM script: two tenants on LevelDB share a database and sync it', async () => {
    const data = join(project.dir, 'data')
    const { stdout } = await run(process.execPath, ['syncTwoTenants.mjs', data], { cwd: project.dir })
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ synced: { status: 'pending' } })
    // Again on the same folders: the tenants are opened, not created twice.
    const again = await run(process.execPath, ['syncTwoTenants.mjs', data], { cwd: project.dir })
    expect(JSON.parse(again.stdout.trim().split('\n').pop()!)).toEqual({ synced: { status: 'pending' } })
  }, 60_000)

  it.each(['bundler', 'node16'])(
    'type-checks a consumer with tsc --strict under moduleResolution %s',
    async (resolution) => {
      const tsc = join(project.dir, 'node_modules/typescript/bin/tsc')
      const r = await run(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], {
        cwd: project.dir,
        allowFailure: true,
      })
      expect(r.stdout + r.stderr).toBe('')
      expect(r.code).toBe(0)
    },
    60_000,
  )

  it('bundles a page with Vite; in Chromium it writes a document to IndexedDB and reads it back after a reload', async () => {
    const { outDir, size } = await buildPage(project)
    expectSaneBundle(size)
    const site = await serveStatic(outDir)
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(String(e)))
      const ready = () => (globalThis as { weftPage?: unknown }).weftPage !== undefined
      await page.goto(`${site.origin}/`)
      await page.waitForFunction(ready, undefined, { timeout: 30_000 })
      const id = await page.evaluate(() =>
        (globalThis as unknown as { weftPage: { write(t: string): Promise<string> } }).weftPage.write('from npm'),
      )
      await page.reload()
      await page.waitForFunction(ready, undefined, { timeout: 30_000 })
      const back = await page.evaluate(
        (docId) => (globalThis as unknown as { weftPage: { read(id: string): Promise<unknown> } }).weftPage.read(docId),
        id,
      )
      expect(back).toEqual({ text: 'from npm' })
      expect(errors).toEqual([])
    } finally {
      await browser.close()
      await site.close()
    }
  }, 120_000)

  it('starts weft-server from the installed bin with plain node; it answers /v1/health and serves its web console', async () => {
    const bin = join(project.dir, 'node_modules/.bin/weft-server')
    const env = { ...cleanEnv(), PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` }
    // The bin itself (its `#!/usr/bin/env node` line), not a loader or tsx.
    const child = spawn(bin, ['--memory', '--port', '0', '--host', '127.0.0.1'], {
      cwd: project.dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      let err = ''
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          const m = /listening on (http:\/\/\S+)/.exec(out)
          if (m) resolve(m[1]!)
        })
        child.once('exit', (code) => reject(new Error(`weft-server exited ${code}: ${err}`)))
      })
      const res = await fetch(new URL('/v1/health', url))
      expect(res.status).toBe(200)
      // Its web console, from the installed package, starts in Chromium under its own CSP.
      const page = await fetch(new URL('/console/', url))
      expect(page.status).toBe(200)
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
      const browser = await launchChromium()
      try {
        const tab = await browser.newPage()
        const errors: string[] = []
        tab.on('pageerror', (e) => errors.push(e.message))
        tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
        await tab.goto(new URL('/console/', url).href)
        await tab.waitForSelector('body[data-ready="yes"]', { timeout: 30_000 })
        expect(await tab.getByRole('button', { name: 'Show tenants' }).isVisible()).toBe(true)
        expect(errors).toEqual([])
      } finally {
        await browser.close()
      }
    } finally {
      child.kill()
    }
  }, 60_000)

  it('runs the weft bin with plain node: help, then a tenant created and listed in a folder', async () => {
    const bin = join(project.dir, 'node_modules/.bin/weft')
    const env = { ...cleanEnv(), PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` }
    const help = await run(bin, ['--help'], { cwd: project.dir, env })
    expect(help.stdout).toContain('Usage: weft')
    const data = join(project.dir, 'cli-data')
    const withPassword = { ...env, WEFT_PASSWORD: 'installed bin password' }
    await run(bin, ['tenant', 'create', '--data', data, '--tenant', 'acme'], { cwd: project.dir, env: withPassword })
    const listed = await run(bin, ['tenant', 'list', '--data', data, '--json'], { cwd: project.dir, env })
    expect(JSON.parse(listed.stdout)).toEqual({ tenants: ['acme'] })
  }, 60_000)
})

function expectSaneBundle(size: BundleSize): void {
  // Automerge's WebAssembly is shipped as its own file, not inlined as base64 into the JavaScript.
  expect(size.wasmBytes).toBeGreaterThan(100_000)
  expect(size.jsBytes).toBeGreaterThan(10_000)
  console.log(
    `browser bundle (@weft/core + @weft/store-idb, Vite, minified): JS ${kb(size.jsBytes)} (${kb(size.jsGzipBytes)} gzipped), wasm ${kb(size.wasmBytes)} (${kb(size.wasmGzipBytes)} gzipped)`,
  )
}

const kb = (n: number): string => `${(n / 1024).toFixed(0)} KiB`
