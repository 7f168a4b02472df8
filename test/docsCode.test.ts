/**
 * Docs that run: every TypeScript code block in README.md, docs/*.md and packages/*\/README.md is
 * type-checked, and every block not marked as a fragment is run.
 *
 * - A page's runnable blocks (```ts) are one program, in page order, the way a reader goes through
 *   them: a later block uses what an earlier one made. Imports are gathered at the top. The program
 *   runs with tsx in a fresh temporary folder (so `./data` is new), `@weft/*` resolving to the sources.
 * - ```ts fragment marks a block that shows a call out of context: it is only type-checked, alone,
 *   against the names declared in FRAGMENT_GLOBALS below (a `factory`, a `tenant`, a `password`…).
 * - ```ts server gives the page's program a Weft server on 127.0.0.1, its address in `url`.
 * - ```ts twice runs the page's program a second time in the same folder (state that persists must
 *   open, not fail, the second time: the quick start's open-or-create).
 * - ```ts postgres gives the page's program a fresh, empty PostgreSQL database on the test server,
 *   its URL in `postgresUrl`; it is dropped afterwards with every tenant database and role it made.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, inject, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** Per process, so two test runs at once do not share files. */
const WORK = join(ROOT, '.docs-run', String(process.pid))

const FRAGMENT_GLOBALS = `
import type {
  ChangeStore, Database, SyncState, MultiTenantSyncOrchestrator, PublicProfile, StoreFactory, Tenant, TenantFactory,
} from '@weft/core'
import type { ServerSigner } from '@weft/core'
declare global {
  const factory: TenantFactory
  const otherFactory: TenantFactory
  const password: string
  const otherPassword: string
  const tenant: Tenant
  const source: Tenant
  const customer: Tenant
  const supplier: Tenant
  const localTenant: Tenant
  const partner: Tenant
  const customerProfile: PublicProfile
  const orchestrator: MultiTenantSyncOrchestrator
  const db: Database
  const acmeOrders: Database
  const globexOrders: Database
  const storeFactory: StoreFactory
  const grantId: string
  const id: string
  const url: string
  const postgresUrl: string
  const admin: ServerSigner
  const from: number
  const to: number
  let state: SyncState | undefined
  const settings: { region: string }
  function askAgain(): void
  function openMyStore(): Promise<ChangeStore>
}
export {}
`

interface Block {
  readonly file: string
  readonly line: number
  readonly flags: ReadonlySet<string>
  readonly code: string
}

function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(ROOT, 'docs', f))
  const readmes = readdirSync(join(ROOT, 'packages')).map((p) => join(ROOT, 'packages', p, 'README.md'))
  return [join(ROOT, 'README.md'), ...docs, ...readmes].filter((f) => {
    try {
      return readFileSync(f, 'utf8').length >= 0
    } catch {
      return false
    }
  })
}

function blocksOf(file: string): Block[] {
  const lines = readFileSync(file, 'utf8').split('\n')
  const out: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)\b(.*)$/.exec(lines[i]!)
    if (!open) continue
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!)
    out.push({
      file,
      line: start + 1,
      flags: new Set(open[2]!.trim().split(/\s+/).filter(Boolean)),
      code: body.join('\n'),
    })
  }
  return out
}

const IMPORT =
  /^import\s+(type\s+)?(?:\{([^}]*)\}|\*\s+as\s+(\w+)|(\w+))\s+from\s+'([^']+)'\s*;?[ \t]*(\/\/[^\n]*)?$/gms

/** The blocks' code with their imports gathered (and merged) at the top. */
function program(blocks: readonly Block[], prelude: string, postlude: string): string {
  const named = new Map<string, Set<string>>()
  const other: string[] = []
  const bodies = blocks.map((b) =>
    b.code.replace(
      IMPORT,
      (
        _m,
        typeOnly: string | undefined,
        names: string | undefined,
        star: string | undefined,
        def: string | undefined,
        from: string,
      ) => {
        if (names !== undefined) {
          const set = named.get(from) ?? new Set<string>()
          for (const n of names
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean))
            set.add(typeOnly && !n.startsWith('type ') ? `type ${n}` : n)
          named.set(from, set)
        } else
          other.push(
            star
              ? `import ${typeOnly ?? ''}* as ${star} from '${from}'`
              : `import ${typeOnly ?? ''}${def} from '${from}'`,
          )
        return ''
      },
    ),
  )
  const imports = [...named].map(([from, names]) => `import { ${[...names].join(', ')} } from '${from}'`)
  const located = bodies.map((b, i) => `// ${relative(ROOT, blocks[i]!.file)}:${blocks[i]!.line}\n${b}`)
  return (
    [...new Set([...imports, ...other])].join('\n') +
    '\n' +
    prelude +
    '\n' +
    located.join('\n') +
    '\n' +
    postlude +
    '\n'
  )
}

const SERVER_PRELUDE = `import { WeftServer as __WeftServer } from '@weft/server'
const __server = await __WeftServer.start()
const url = __server.url`

const POSTGRES_PRELUDE = `import __pg from 'pg'
import { dropWeftDatabase as __dropWeftDatabase } from '../../packages/store-postgres/test/helpers/dropWeftDatabase.ts'
const __pgAdmin = process.env.WEFT_TEST_PG_URL!
const __pgDb = \`weft_docs_\${process.pid}\`
{
  const c = new __pg.Client({ connectionString: __pgAdmin })
  await c.connect()
  await c.query(\`CREATE DATABASE \${__pgDb}\`)
  await c.end()
}
const postgresUrl = Object.assign(new URL(__pgAdmin), { pathname: \`/\${__pgDb}\` }).toString()`

function runTsx(file: string, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolvePromise) => {
    // tsx from the repository (the program's folder is a fresh temporary one, with no node_modules).
    const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href
    const child = spawn(process.execPath, ['--import', tsx, file], {
      cwd,
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'),
        PORT: '0',
        WEFT_TEST_PG_URL: inject('pgUrl'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolvePromise({ code, out })
    })
  })
}

const pages = markdownFiles()
  .map((file) => ({ file, blocks: blocksOf(file) }))
  .filter((p) => p.blocks.length > 0)

rmSync(WORK, { recursive: true, force: true })
mkdirSync(WORK, { recursive: true })
const programs = new Map<string, { path: string; blocks: Block[] }>()
let fragments = 0
for (const { file, blocks } of pages) {
  const name = relative(ROOT, file).replace(/[/.]/g, '_')
  for (const b of blocks.filter((x) => x.flags.has('fragment'))) {
    writeFileSync(
      join(WORK, `fragment_${name}_${b.line}.ts`),
      `// ${relative(ROOT, file)}:${b.line}\n${b.code}\nexport {}\n`,
    )
    fragments++
  }
  const runnable = blocks.filter((x) => !x.flags.has('fragment'))
  if (runnable.length === 0) continue
  const server = runnable.some((b) => b.flags.has('server'))
  const postgres = runnable.some((b) => b.flags.has('postgres'))
  const path = join(WORK, `program_${name}.ts`)
  const postlude =
    `${server ? 'await __server.close()\n' : ''}` +
    `${postgres ? 'await __dropWeftDatabase(__pgAdmin, __pgDb)\n' : ''}` +
    'process.exit(0)'
  const prelude = [postgres ? POSTGRES_PRELUDE : '', server ? SERVER_PRELUDE : ''].filter(Boolean).join('\n')
  writeFileSync(path, program(runnable, prelude, postlude))
  programs.set(relative(ROOT, file), { path, blocks: runnable })
}
writeFileSync(join(WORK, 'fragmentGlobals.d.ts'), FRAGMENT_GLOBALS)
writeFileSync(
  join(WORK, 'tsconfig.json'),
  JSON.stringify({
    extends: '../../tsconfig.base.json',
    compilerOptions: { noEmit: true, lib: ['ES2022', 'DOM'], types: ['node'] },
    include: ['*.ts'],
  }),
)

afterAll(() => rmSync(WORK, { recursive: true, force: true }))

describe('the TypeScript code blocks of the docs', () => {
  it('finds the blocks, runnable and fragments', () => {
    expect(programs.size).toBeGreaterThanOrEqual(5)
    expect(fragments).toBeGreaterThanOrEqual(5)
  })

  it('type-check, every one (fragments against the declared context)', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
    const r = await new Promise<{ code: number | null; out: string }>((res) => {
      const child = spawn(process.execPath, [tsc, '-p', join(WORK, 'tsconfig.json')], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (out += d.toString()))
      child.once('close', (code) => res({ code, out }))
    })
    expect(r.out).toBe('')
    expect(r.code).toBe(0)
  }, 120_000)

  it.each([...programs.keys()])(
    '%s runs, top to bottom',
    async (page) => {
      const { path, blocks } = programs.get(page)!
      const cwd = mkdtempSync(join(tmpdir(), 'weft-docs-'))
      try {
        const first = await runTsx(path, cwd)
        expect(first.out.includes('Error') && first.code !== 0 ? first.out : '', `${page} failed`).toBe('')
        expect(first.code, first.out).toBe(0)
        if (blocks.some((b) => b.flags.has('twice'))) {
          const second = await runTsx(path, cwd)
          expect(second.code, second.out).toBe(0)
        }
      } finally {
        rmSync(cwd, { recursive: true, force: true })
      }
    },
    120_000,
  )
})
