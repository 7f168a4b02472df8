/**
 * Serves the notes page on http://127.0.0.1:5173 (or `PORT`), with a Weft relay beside it on
 * port 5174 (or `RELAY_PORT`, in memory) for a second device: bundles main.ts with @weft/core,
 * @weft/store-idb and @weft/client for the browser. Run with `npx tsx examples/browser-notes/serve.ts`,
 * open the address, add notes, stop the server or go offline, reload: the notes are still there.
 * Open it in a second browser (or a private window: another IndexedDB) to join as another device.
 */
import { readFile } from 'node:fs/promises'
import { WeftServer } from '@weft/server'
import { buildNotesPage, withRelay } from './build.ts'
import { HTML, JS, servePages } from '../../test/browser/helpers/pageServer.ts'

const here = (file: string): string => new URL(file, import.meta.url).pathname

const relay = await WeftServer.start({ host: '127.0.0.1', port: Number(process.env.RELAY_PORT ?? 5174) })
const html = withRelay(await readFile(here('./index.html'), 'utf8'), relay.url)
const js = await buildNotesPage()
const server = await servePages(
  { '/': { body: html, type: HTML }, '/index.html': { body: html, type: HTML }, '/main.js': { body: js, type: JS } },
  { port: Number(process.env.PORT ?? 5173) },
)
console.log(`Weft notes: ${server.origin}/  relay: ${relay.url}  (Ctrl-C to stop)`)
