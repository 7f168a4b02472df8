/**
 * Builds the web console into `packages/server/dist/console-app/` (what the server serves at
 * /console and what its package ships): main.ts bundled with esbuild for the browser, as
 * docs/browser.md bundles Weft (Automerge's WebAssembly inlined through the `webpack` export
 * condition), beside index.html and console.css. Run by `npm run build`; tests call it too.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { build } from 'esbuild'

const here = (file: string): string => new URL(file, import.meta.url).pathname

/** The folder the server reads the console from (its `CONSOLE_DIR`). */
export const CONSOLE_OUT = here('../dist/console-app/')

/** Bundles the console into `outDir`; resolves once the three files are written. */
export async function buildConsole(outDir: string = CONSOLE_OUT, options: { minify?: boolean } = {}): Promise<void> {
  const result = await build({
    entryPoints: [here('./main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['webpack'],
    minify: options.minify ?? true,
    legalComments: 'eof',
    outfile: `${outDir}/console.js`,
    write: false,
    logLevel: 'silent',
  })
  await mkdir(outDir, { recursive: true })
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))
  if (!js) throw new Error('esbuild produced no console script')
  // Each file written beside its place and renamed over it, so a server never reads half a file.
  const put = async (name: string, body: Uint8Array | string) => {
    const tmp = `${outDir}/.${name}.${process.pid}`
    await writeFile(tmp, body)
    await rename(tmp, `${outDir}/${name}`)
  }
  await put('console.js', js.contents)
  await put('index.html', await readFile(here('./index.html')))
  await put('console.css', await readFile(here('./console.css')))
}

if (process.argv[1] === here('./build.ts')) await buildConsole()
