/**
 * `npm run lint` (after ESLint): fails when the import graph has a cycle — between the packages
 * (their `@weft/*` dependencies) or between the source files of any package (relative imports
 * that load code at run time; `import type` is erased by the compiler and creates no load order).
 * Prints each cycle as a path of files. Exits 1 on a cycle, 0 otherwise.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : []
  })
}

/** The strongly connected components with more than one node (or a self-loop): the cycles. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0
  const order = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const visit = (v: string): void => {
    order.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!order.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!))
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.reverse())
    }
  }
  for (const v of graph.keys()) if (!order.has(v)) visit(v)
  return cycles
}

function main(): void {
  const packagesDir = join(ROOT, 'packages')
  const packages = readdirSync(packagesDir).filter((d) => statSync(join(packagesDir, d)).isDirectory())
  const packageGraph = new Map<string, string[]>()
  const fileGraph = new Map<string, string[]>()
  for (const dir of packages) {
    const manifest = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) as {
      name: string
      dependencies?: Record<string, string>
    }
    packageGraph.set(
      manifest.name,
      Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@weft/')),
    )
    const src = join(packagesDir, dir, 'src')
    for (const file of sourceFiles(src)) {
      const text = readFileSync(file, 'utf8')
      const targets: string[] = []
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2] ?? m[3]
        if (spec?.startsWith('.')) targets.push(resolve(dirname(file), spec))
      }
      fileGraph.set(file, targets)
    }
  }
  const cycles = [
    ...findCycles(packageGraph).map((c) => `packages: ${[...c, c[0]].join(' → ')}`),
    ...findCycles(fileGraph).map((c) => `files: ${[...c, c[0]!].map((f) => relative(ROOT, f)).join(' → ')}`),
  ]
  for (const c of cycles) console.error(`import cycle: ${c}`)
  if (cycles.length > 0) process.exit(1)
  console.log(`no import cycle among ${packageGraph.size} packages and ${fileGraph.size} source files`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
