import { readFileSync, readdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * Inside the repository `@weft/*` resolves to the TypeScript sources, never to `dist/`: every
 * entry of a package's `exports` (`./dist/x.js`) is aliased to its source (`./src/x.ts`), so the
 * tests run without a build. The same mapping is in tsconfig.json `paths` (for tsc and tsx).
 */
function sourceAliases(): { find: RegExp; replacement: string }[] {
  const root = fileURLToPath(new URL('./packages/', import.meta.url))
  const aliases: { find: RegExp; replacement: string }[] = []
  for (const dir of readdirSync(root)) {
    const manifest = JSON.parse(readFileSync(`${root}${dir}/package.json`, 'utf8')) as {
      name: string
      exports: Record<string, { import: string }>
    }
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      const specifier = manifest.name + subpath.slice(1)
      const source = target.import.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts')
      aliases.push({
        find: new RegExp(`^${specifier.replace(/[/.]/g, '\\$&')}$`),
        replacement: `${root}${dir}/${source.slice(2)}`,
      })
    }
  }
  return aliases
}

export default defineConfig({
  resolve: { alias: sourceAliases() },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // A real PostgreSQL for the PostgreSQL tests (or the one WEFT_TEST_PG_URL names).
    globalSetup: ['test/setup/postgres.ts'],
    // One test file per core. Vitest's default leaves a core free (one worker on a 2-core machine),
    // but many files spend much of their time waiting on the servers, PostgreSQL and Chromium
    // they start: on 2 cores the second worker took the suite from 880 s to 717 s.
    maxWorkers: availableParallelism(),
    // Each worker imports the packages (and loads Automerge's and libsodium's WebAssembly) once,
    // not once per test file: on 2 cores the import time summed over the files fell from 193 s to
    // 22 s, and the suite from 671 s to 541 s. Test files share no state through module globals:
    // the two that fake timers restore them after each test, and none changes process.env.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: process.env.WEFT_JSON_REPORT
      ? ['default', ['json', { outputFile: process.env.WEFT_JSON_REPORT }]]
      : ['default'],
  },
})
