/**
 * `npm run release -- <version>`: versions every package together. Sets `version` in the root and
 * in every packages/* package.json, pins every internal `@weft/*` dependency to exactly that
 * version, turns the changelog's `[Unreleased]` section into `[<version>] - <date>` (naming the
 * protocol and entry-format versions read from the sources) and updates package-lock.json.
 * Commit, tag `v<version>`, and `npm publish --workspaces` from a clean build.
 *
 * `npm run release -- --check` only checks: one version everywhere, internal dependencies exact.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/

/** The fields of a package.json this script reads and writes. */
export interface Manifest {
  name: string
  version: string
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  [field: string]: unknown
}

const DEP_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies'] as const

/** The manifests with `version` set and every `@weft/*` dependency pinned to it. */
export function bumpManifests(manifests: readonly Manifest[], version: string): Manifest[] {
  if (!SEMVER.test(version)) throw new Error(`not a version: ${version}`)
  return manifests.map((m) => {
    const out: Manifest = { ...m, version }
    for (const field of DEP_FIELDS) {
      const deps = m[field]
      if (!deps) continue
      out[field] = Object.fromEntries(Object.entries(deps).map(([n, v]) => [n, n.startsWith('@weft/') ? version : v]))
    }
    return out
  })
}

/** What is wrong with the manifests: versions that differ, internal dependencies not exact. */
export function checkManifests(manifests: readonly Manifest[]): string[] {
  const version = manifests[0]?.version
  const problems: string[] = []
  for (const m of manifests) {
    if (m.version !== version) problems.push(`${m.name} is at ${m.version}, not ${version}`)
    for (const field of DEP_FIELDS) {
      for (const [n, v] of Object.entries(m[field] ?? {})) {
        if (n.startsWith('@weft/') && v !== version)
          problems.push(`${m.name} ${field} ${n}: "${v}", not exactly "${version}"`)
      }
    }
  }
  return problems
}

/** The changelog with its `[Unreleased]` section released as `version`, and a new empty one above. */
export function releaseChangelog(text: string, version: string, date: string, formats: string): string {
  const heading = '## [Unreleased]'
  const at = text.indexOf(heading)
  if (at < 0) throw new Error('CHANGELOG.md has no [Unreleased] section')
  const afterHeading = text.slice(at + heading.length).replace(/^\n+(Protocol version[^\n]*\n)?\n*/, '')
  return `${text.slice(0, at)}${heading}\n\n${formats}\n\n## [${version}] - ${date}\n\n${formats}\n\n${afterHeading}`
}

function readVersionConstant(file: string, name: string): string {
  const m = new RegExp(`export const ${name} = (\\d+)`).exec(readFileSync(join(ROOT, file), 'utf8'))
  if (!m) throw new Error(`${name} not found in ${file}`)
  return m[1]!
}

function main(): void {
  const paths = [
    join(ROOT, 'package.json'),
    ...readdirSync(join(ROOT, 'packages')).map((p) => join(ROOT, 'packages', p, 'package.json')),
  ]
  const manifests = paths.map((p) => JSON.parse(readFileSync(p, 'utf8')) as Manifest)
  const arg = process.argv[2]
  if (arg === '--check' || arg === undefined) {
    const problems = checkManifests(manifests)
    for (const p of problems) console.error(p)
    if (problems.length > 0) process.exit(1)
    console.log(`every package at ${manifests[0]!.version}, internal dependencies exact`)
    return
  }
  const bumped = bumpManifests(manifests, arg)
  paths.forEach((p, i) => writeFileSync(p, `${JSON.stringify(bumped[i], null, 2)}\n`))
  const formats = `Protocol version ${readVersionConstant('packages/protocol/src/constants.ts', 'PROTOCOL_VERSION')} · entry-format version ${readVersionConstant('packages/core/src/entries/header.ts', 'ENTRY_VERSION')}`
  const changelog = join(ROOT, 'CHANGELOG.md')
  writeFileSync(
    changelog,
    releaseChangelog(readFileSync(changelog, 'utf8'), arg, new Date().toISOString().slice(0, 10), formats),
  )
  execFileSync('npm', ['install', '--package-lock-only', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: ROOT,
    stdio: 'inherit',
  })
  console.log(
    `versioned every package at ${arg}; commit, tag v${arg}, then npm publish --workspaces after npm run build`,
  )
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
