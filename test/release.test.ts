import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { bumpManifests, checkManifests, releaseChangelog, type Manifest } from '../scripts/release.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const manifests = (): Manifest[] => [
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest,
  ...readdirSync(join(ROOT, 'packages')).map(
    (p) => JSON.parse(readFileSync(join(ROOT, 'packages', p, 'package.json'), 'utf8')) as Manifest,
  ),
]

describe('releases version every package together', () => {
  it('the repository is at one version with exact internal dependencies', () => {
    expect(checkManifests(manifests())).toEqual([])
  })

  it('a bump moves every package and every internal dependency, and nothing else', () => {
    const bumped = bumpManifests(manifests(), '0.2.0')
    expect(checkManifests(bumped)).toEqual([])
    expect(new Set(bumped.map((m) => m.version))).toEqual(new Set(['0.2.0']))
    const server = bumped.find((m) => m.name === '@weft/server')!
    expect(server.dependencies).toMatchObject({
      '@weft/core': '0.2.0',
      '@weft/protocol': '0.2.0',
      ws: expect.stringMatching(/^\^8/),
    })
    expect(() => bumpManifests(manifests(), 'next')).toThrow(/not a version/)
  })

  it('the check finds a range or a stale version on an internal dependency', () => {
    const ms = manifests()
    const client = ms.find((m) => m.name === '@weft/client')!
    client.dependencies = { ...client.dependencies, '@weft/core': '*' }
    expect(checkManifests(ms)).toEqual([`@weft/client dependencies @weft/core: "*", not exactly "${ms[0]!.version}"`])
  })

  it('the changelog: Unreleased becomes the version, with the formats named, and a new Unreleased opens', () => {
    const text = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8')
    const out = releaseChangelog(text, '0.2.0', '2026-12-03', 'Protocol version 1 · entry-format version 1')
    expect(out).toMatch(
      /## \[Unreleased\]\n\nProtocol version 1 · entry-format version 1\n\n## \[0\.2\.0\] - 2026-12-03\n\nProtocol version 1 · entry-format version 1\n\n### Added/,
    )
    expect(text).toMatch(/Protocol version \d+ · entry-format version \d+/)
  })
})
