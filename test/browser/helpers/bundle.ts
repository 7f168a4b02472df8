import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { build, type Plugin } from 'esbuild'

/** Options of {@link bundleForBrowser}. */
export interface BundleOptions {
  /** Bare module names replaced by a file, e.g. `{ vitest: '/abs/vitestInPage.ts' }`. */
  readonly replace?: Readonly<Record<string, string>>
  /**
   * Node globals some files use, given to those files only as a module binding (never as a page
   * global, which libraries would detect and use): `{ files, name, from }` prepends
   * `import { <name> } from '<from>'` to every TypeScript file whose path matches `files`.
   */
  readonly provide?: readonly { readonly files: RegExp; readonly name: string; readonly from: string }[]
  /** Minify (for the bench: smaller parse time, same code paths). */
  readonly minify?: boolean
}

/**
 * Bundles a TypeScript entry and everything it imports (workspace packages included) into one
 * ES module for a browser page, in memory.
 */
export async function bundleForBrowser(entry: string, options: BundleOptions = {}): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    minify: options.minify ?? false,
    sourcemap: 'inline',
    logLevel: 'silent',
    plugins: [automergeBase64(), replaceModules(options.replace ?? {}), provideBindings(options.provide ?? [])],
  })
  const out = result.outputFiles[0]
  if (!out) throw new Error(`esbuild produced nothing for ${entry}`)
  return out.text
}

/**
 * Automerge's `browser` entry imports its `.wasm` file as an ES module, which needs a bundler
 * plugin; its plain `import` entry carries the same WebAssembly inline (base64) and works as is.
 */
function automergeBase64(): Plugin {
  return {
    name: 'automerge-base64',
    setup(b) {
      b.onResolve({ filter: /^@automerge\/automerge$/ }, async (args) => {
        const require = createRequire(join(args.resolveDir, 'noop.js'))
        // `require.resolve` picks the Node build; walk up from it to the package folder.
        let dir = dirname(require.resolve('@automerge/automerge'))
        for (;;) {
          const manifest = await readFile(join(dir, 'package.json'), 'utf8').catch(() => null)
          const pkg = manifest
            ? (JSON.parse(manifest) as { name?: string; exports?: Record<string, { import?: unknown }> })
            : null
          if (pkg?.name === '@automerge/automerge') {
            const target = pkg.exports?.['.']?.import
            if (typeof target !== 'string') throw new Error('@automerge/automerge has no plain import entry')
            return { path: join(dir, target) }
          }
          const up = dirname(dir)
          if (up === dir) throw new Error('@automerge/automerge package.json not found')
          dir = up
        }
      })
    },
  }
}

function replaceModules(replace: Readonly<Record<string, string>>): Plugin {
  return {
    name: 'replace-modules',
    setup(b) {
      for (const [name, path] of Object.entries(replace)) {
        const filter = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`)
        b.onResolve({ filter }, () => ({ path }))
      }
    },
  }
}

function provideBindings(provide: NonNullable<BundleOptions['provide']>): Plugin {
  return {
    name: 'provide-bindings',
    setup(b) {
      for (const { files, name, from } of provide) {
        b.onLoad({ filter: files }, async (args) => ({
          contents: `import { ${name} } from ${JSON.stringify(from)};\n${await readFile(args.path, 'utf8')}`,
          loader: 'ts',
        }))
      }
    },
  }
}
