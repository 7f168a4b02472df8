/**
 * Serves the notes page on http://127.0.0.1:5173 (or `PORT`): bundles main.ts with @weft/core and
 * @weft/store-idb for the browser. Run with `npx tsx examples/browser-notes/serve.ts`, open the
 * address, add notes, stop the server or go offline, reload: the notes are still there.
 */
import { readFile } from 'node:fs/promises'
import { buildNotesPage } from './build.ts'
import { HTML, JS, servePages } from '../../test/browser/helpers/pageServer.ts'

const here = (file: string): string => new URL(file, import.meta.url).pathname

const html = await readFile(here('./index.html'), 'utf8')
const js = await buildNotesPage()
const server = await servePages(
  { '/': { body: html, type: HTML }, '/index.html': { body: html, type: HTML }, '/main.js': { body: js, type: JS } },
  { port: Number(process.env.PORT ?? 5173) },
)
console.log(`Weft notes: ${server.origin}/  (Ctrl-C to stop)`)
