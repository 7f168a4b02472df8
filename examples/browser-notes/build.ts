/**
 * Bundles the notes page the way docs/browser.md says to bundle Weft with esbuild: `@weft/core`
 * and `@weft/store-idb` for the browser, and Automerge's WebAssembly taken from its inlined build
 * (the `webpack` export condition), so no plugin and no separate `.wasm` file are needed.
 */
import { build } from 'esbuild'

/** The page's JavaScript, one ES module, minified or not. */
export async function buildNotesPage(options: { minify?: boolean } = {}): Promise<string> {
  const result = await build({
    entryPoints: [new URL('./main.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['webpack'], // Automerge: the build with its WebAssembly inlined
    minify: options.minify ?? false,
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

/** The page's HTML with the relay a second device syncs through (its `weft-relay` meta tag). */
export function withRelay(html: string, relay: string): string {
  const tag = '<meta name="weft-relay" content="" />'
  if (!html.includes(tag)) throw new Error('the page has no weft-relay tag to fill')
  return html.replace(tag, `<meta name="weft-relay" content="${relay.replace(/[^\w:/.\-[\]]/g, '')}" />`)
}
