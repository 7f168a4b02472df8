import { spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

/** The repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures')

/** Tools the fresh project installs from the registry (the versions the repository uses, so the cache serves them). */
const TOOLS = ['vite', 'vite-plugin-wasm', 'typescript', '@types/node'] as const

/** One packed package. */
export interface Tarball {
  readonly name: string
  readonly file: string
  /** Bytes of the .tgz. */
  readonly size: number
  readonly unpackedSize: number
  readonly files: readonly string[]
}

/** A fresh project outside the repository with every package installed from its tarball. */
export interface InstalledProject {
  /** The project folder (under the OS temp folder). */
  readonly dir: string
  readonly tarballs: readonly Tarball[]
  remove(): Promise<void>
}

/** Result of {@link run}. */
export interface RunResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to its end (no shell); rejects on a non-zero exit unless `allowFailure`. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; allowFailure?: boolean } = { cwd: REPO },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.once('error', reject)
    child.once('close', (code) => {
      if (code !== 0 && !options.allowFailure) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`))
      } else resolvePromise({ code, stdout, stderr })
    })
  })
}

/** The environment without loaders or npm settings a test runner may have set. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || k.startsWith('npm_') || k.startsWith('VITEST') || k === 'TSX_TSCONFIG_PATH') continue
    env[k] = v
  }
  return env
}

/** npm, from the same Node installation as this process. */
export const NPM = join(dirname(process.execPath), 'npm')

async function toolVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string
  }
  return manifest.version
}

/**
 * Builds every package (`npm run build`), packs each with `npm pack`, and installs the tarballs into
 * a fresh project under the OS temp folder, with the consumer fixtures beside them. Third-party
 * dependencies come from the registry through the machine's npm cache (`--prefer-offline`).
 */
export async function packAndInstall(): Promise<InstalledProject> {
  await run(NPM, ['run', 'build'], { cwd: REPO })
  const root = await mkdtemp(join(tmpdir(), 'weft-packaging-'))
  const packs = join(root, 'tarballs')
  await mkdir(packs)
  const packed = await run(NPM, ['pack', '--workspaces', '--json', '--pack-destination', packs], { cwd: REPO })
  const manifests = JSON.parse(packed.stdout) as {
    name: string
    filename: string
    size: number
    unpackedSize: number
    files: { path: string }[]
  }[]
  const tarballs: Tarball[] = manifests.map((m) => ({
    name: m.name,
    file: join(packs, m.filename),
    size: m.size,
    unpackedSize: m.unpackedSize,
    files: m.files.map((f) => f.path),
  }))

  const dir = join(root, 'app')
  await cp(FIXTURES, dir, { recursive: true })
  const devDependencies: Record<string, string> = {}
  for (const tool of TOOLS) devDependencies[tool] = await toolVersion(tool)
  const manifest = {
    name: 'weft-consumer',
    private: true,
    type: 'module',
    dependencies: Object.fromEntries(tarballs.map((t) => [t.name, `file:${t.file}`])),
    devDependencies,
  }
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir })
  return { dir, tarballs, remove: () => rm(root, { recursive: true, force: true }) }
}

/** Sizes of a Vite build's output: every JavaScript chunk and every .wasm file, raw and gzipped. */
export interface BundleSize {
  readonly jsBytes: number
  readonly jsGzipBytes: number
  readonly wasmBytes: number
  readonly wasmGzipBytes: number
}

/** Builds the fixture page (`page/`) of an installed project with Vite and measures what it emitted. */
export async function buildPage(project: InstalledProject): Promise<{ outDir: string; size: BundleSize }> {
  const page = join(project.dir, 'page')
  await run(process.execPath, [join(project.dir, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: page,
  })
  const outDir = join(page, 'dist')
  const assets = join(outDir, 'assets')
  let jsBytes = 0
  let jsGzipBytes = 0
  let wasmBytes = 0
  let wasmGzipBytes = 0
  for (const name of await readdir(assets)) {
    const bytes = await readFile(join(assets, name))
    const gz = gzipSync(bytes, { level: 9 }).length
    if (name.endsWith('.js')) {
      jsBytes += bytes.length
      jsGzipBytes += gz
    } else if (name.endsWith('.wasm')) {
      wasmBytes += bytes.length
      wasmGzipBytes += gz
    }
  }
  return { outDir, size: { jsBytes, jsGzipBytes, wasmBytes, wasmGzipBytes } }
}
