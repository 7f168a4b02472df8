import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A file the server hands out. */
export interface PageFile {
  readonly body: string | Uint8Array
  readonly type: string
}

/** A local HTTP server for test pages. */
export interface PageServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string
  close(): Promise<void>
}

export const HTML = 'text/html; charset=utf-8'
export const JS = 'text/javascript; charset=utf-8'

/**
 * Serves fixed files on 127.0.0.1 (at a free port unless `options.port` is given); anything else
 * is a 404. Files are served with `no-store`, so a reload always runs the current bundle.
 */
export async function servePages(
  files: Readonly<Record<string, PageFile>>,
  options: { port?: number } = {},
): Promise<PageServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const file = files[path]
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    res
      .writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' })
      .end(req.method === 'HEAD' ? undefined : file.body)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A page that only loads one module script. */
export function modulePage(script: string, title = 'weft test'): string {
  return `<!doctype html>\n<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title></head>\n<body><script type="module" src="${script}"></script></body></html>\n`
}
