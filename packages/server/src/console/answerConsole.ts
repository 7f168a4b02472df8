import type { IncomingMessage, ServerResponse } from 'node:http'
import { ErrorCodes } from '@weft/core/backend'
import { pathToFileURL } from 'node:url'
import { CONSOLE_DIR, loadConsoleAssets, type ConsoleAssets } from './consoleAssets.ts'

/**
 * The console's Content-Security-Policy: its own script and style only (no inline script or
 * style, no eval; WebAssembly compiles, for Automerge and libsodium), calls to this server only,
 * no frames, no forms posted anywhere, no plugins.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Headers of every console response. */
const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
}

/**
 * Serves the web console: `GET /console` (redirected to `/console/`), `/console/`, and its script
 * and stylesheet, with a strict Content-Security-Policy. The files are read from the build once,
 * at the first request. False for any other path.
 */
export class ConsoleRoute {
  #assets: Promise<ConsoleAssets | undefined> | undefined
  readonly #enabled: boolean
  readonly #dir: URL

  /** `option` as `WeftServerOptions.console` takes it. */
  constructor(option: boolean | { readonly dir: string }) {
    this.#enabled = option !== false
    this.#dir =
      typeof option === 'object' ? pathToFileURL(option.dir.endsWith('/') ? option.dir : `${option.dir}/`) : CONSOLE_DIR
  }

  async answer(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '/').split('?')[0]!
    if (path !== '/console' && !path.startsWith('/console/')) return false
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      refuse(res, 405, ErrorCodes.PROTOCOL, 'the console is read with GET', { allow: 'GET, HEAD' })
      return true
    }
    if (!this.#enabled) {
      refuse(res, 403, ErrorCodes.FEATURE_DISABLED, 'the web console is switched off on this server')
      return true
    }
    if (path === '/console') {
      res.writeHead(308, { location: '/console/', ...SECURITY_HEADERS }).end()
      return true
    }
    const assets = await (this.#assets ??= loadConsoleAssets(this.#dir))
    if (!assets) {
      this.#assets = undefined // built later: read again next time
      refuse(res, 403, ErrorCodes.FEATURE_DISABLED, 'the web console is not built into this server (npm run build)')
      return true
    }
    const file = assets.get(path === '/console/index.html' ? '/console/' : path)
    if (!file) {
      refuse(res, 404, ErrorCodes.PROTOCOL, `no such operation: the console has no ${path.slice(0, 100)}`)
      return true
    }
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': file.body.length,
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    })
    res.end(req.method === 'HEAD' ? undefined : file.body)
    return true
  }
}

function refuse(res: ServerResponse, status: number, code: string, message: string, extra: object = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...SECURITY_HEADERS, ...extra })
  res.end(JSON.stringify({ code, message }))
}
