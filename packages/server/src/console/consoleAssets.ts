import { readFile } from 'node:fs/promises'

/** One file of the console, as served. */
export interface ConsoleFile {
  readonly body: Buffer
  readonly type: string
}

/** The console's files by the path they are served at. */
export type ConsoleAssets = ReadonlyMap<string, ConsoleFile>

/** What the build writes (packages/server/console/build.ts), by the path each is served at. */
export const CONSOLE_FILES: readonly { readonly path: string; readonly file: string; readonly type: string }[] = [
  { path: '/console/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: '/console/console.js', file: 'console.js', type: 'text/javascript; charset=utf-8' },
  { path: '/console/console.css', file: 'console.css', type: 'text/css; charset=utf-8' },
]

/**
 * Where the built console is: `dist/console-app/` in the server package, the same folder from the
 * sources (`src/console/`) and from the build (`dist/console/`).
 */
export const CONSOLE_DIR = new URL('../../dist/console-app/', import.meta.url)

/** Reads the built console once; undefined when it is not built (a server run from a checkout before `npm run build`). */
export async function loadConsoleAssets(dir: URL = CONSOLE_DIR): Promise<ConsoleAssets | undefined> {
  try {
    const files = await Promise.all(
      CONSOLE_FILES.map(async (f) => [f.path, { body: await readFile(new URL(f.file, dir)), type: f.type }] as const),
    )
    return new Map(files)
  } catch {
    return undefined
  }
}
