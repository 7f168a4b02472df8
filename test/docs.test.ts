import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ErrorCodes } from '@weft/core'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const docsDir = join(root, 'docs')
const docFiles = readdirSync(docsDir)
  .filter((f) => f.endsWith('.md'))
  .sort()
const read = (file: string): string => readFileSync(file, 'utf8')

/** Markdown with fenced code blocks and inline code removed, so code is never taken for a link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '')
}

/** Targets of inline links and images: `[text](target)` and `[text](target "title")`. */
function linkTargets(markdown: string): string[] {
  const out: string[] = []
  for (const m of prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]!)
  return out
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
  for (const m of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')

describe('docs', () => {
  it('has the pages the project promises', () => {
    for (const page of ['README.md', 'architecture.md', 'security.md', 'errors.md', 'api-guide.md']) {
      expect(docFiles, `docs/${page}`).toContain(page)
    }
  })

  it('documents every error code in docs/errors.md', () => {
    const errorsDoc = read(join(docsDir, 'errors.md'))
    const codes = Object.values(ErrorCodes)
    expect(codes.length).toBeGreaterThan(0)
    const missing = codes.filter((code) => !errorsDoc.includes(`### \`${code}\``))
    expect(missing, 'codes without a "### `CODE`" section in docs/errors.md').toEqual([])
  })

  it('mentions no error code in docs/errors.md that the code does not define', () => {
    const known = new Set<string>(Object.values(ErrorCodes))
    const mentioned = new Set(read(join(docsDir, 'errors.md')).match(/WEFT_[A-Z_]+/g) ?? [])
    expect([...mentioned].filter((c) => !known.has(c))).toEqual([])
  })

  describe.each(docFiles)('docs/%s', (file) => {
    const path = join(docsDir, file)
    const text = read(path)

    it('has relative links that point at files that exist', () => {
      const broken: string[] = []
      for (const target of linkTargets(text)) {
        if (isExternal(target) || target.startsWith('#')) continue
        const filePart = decodeURIComponent(target.split('#')[0]!)
        if (filePart.startsWith('/')) {
          broken.push(`${target} (absolute path)`)
          continue
        }
        if (!existsSync(resolve(dirname(path), filePart))) broken.push(target)
      }
      expect(broken).toEqual([])
    })

    it('has anchors that point at headings that exist', () => {
      const broken: string[] = []
      for (const target of linkTargets(text)) {
        if (isExternal(target) || !target.includes('#')) continue
        const [filePart, anchor] = target.split('#') as [string, string]
        const linked = filePart === '' ? path : resolve(dirname(path), decodeURIComponent(filePart))
        if (!linked.endsWith('.md') || !existsSync(linked) || statSync(linked).isDirectory()) continue
        if (!anchors(read(linked)).has(decodeURIComponent(anchor))) broken.push(target)
      }
      expect(broken).toEqual([])
    })
  })
})
