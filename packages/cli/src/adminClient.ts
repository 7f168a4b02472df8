import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CliError } from './failure.ts'
import { readPassword } from './password.ts'
import type { Output } from './output.ts'

/** A failure the server answered with its own code (`{ code, message }`). */
export class ServerRefusal extends CliError {
  constructor(code: string, message: string, status: number) {
    super(code, `${message} (HTTP ${status})`, remedyOf(code), 1)
  }
}

function remedyOf(code: string): string {
  if (code === 'WEFT_UNAUTHORIZED') return 'check the API key (WEFT_API_KEY or --api-key-file): it may be revoked'
  if (code === 'WEFT_FORBIDDEN') return 'the API key lacks the scope this call needs (admin:tenants, admin:keys)'
  return `see the section ${code} in docs/errors.md`
}

/** Calls a running server's admin API with an API key (from `--api-key-file` or `WEFT_API_KEY`). */
export class AdminClient {
  readonly #url: string
  readonly #key: string

  private constructor(url: string, key: string) {
    this.#url = url.replace(/\/+$/, '')
    this.#key = key
  }

  static async open(options: { url?: string; apiKeyFile?: string }, out: Output): Promise<AdminClient> {
    const url = options.url ?? out.env.WEFT_SERVER_URL
    if (!url || !/^https?:\/\//.test(url))
      throw new CliError('WEFT_CLI_NO_SERVER', 'no server URL given', 'pass --url <http(s)://…> or set WEFT_SERVER_URL')
    // An API key is a secret like a password: a file or the environment, never a flag.
    const key = await readPassword({
      ...(options.apiKeyFile !== undefined ? { file: options.apiKeyFile } : {}),
      envName: 'WEFT_API_KEY',
      env: out.env,
      prompt: 'API key: ',
    })
    return new AdminClient(url, key)
  }

  /** One JSON call; a refusal becomes a {@link ServerRefusal} with the server's code. */
  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.#fetch(method, path, body)
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : {}
    } catch {
      throw new CliError(
        'WEFT_CLI_BAD_ANSWER',
        `the server answered ${res.status} with something not JSON`,
        'check --url: is it a Weft server?',
        1,
      )
    }
    if (!res.ok) {
      const e = parsed as { code?: string; message?: string }
      throw new ServerRefusal(e.code ?? 'WEFT_SERVER_ERROR', e.message ?? 'refused', res.status)
    }
    return parsed as T
  }

  /** Streams an answer into a new file (an export); returns its bytes. */
  async download(path: string, file: string): Promise<number> {
    const res = await this.#fetch('GET', path)
    if (!res.ok || !res.body) {
      const e = (await res.json().catch(() => ({}))) as { code?: string; message?: string }
      throw new ServerRefusal(e.code ?? 'WEFT_SERVER_ERROR', e.message ?? 'refused', res.status)
    }
    const sink = createWriteStream(file, { flags: 'wx' })
    let bytes = 0
    const counted = Readable.fromWeb(res.body as never).on('data', (c: Buffer) => void (bytes += c.length))
    await pipeline(counted, sink)
    return bytes
  }

  async #fetch(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(this.#url + path, {
        method,
        headers: {
          authorization: `Bearer ${this.#key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(60_000),
      })
    } catch (cause) {
      throw new CliError(
        'WEFT_CLI_SERVER_UNREACHABLE',
        `cannot reach ${this.#url}: ${(cause as Error).message}`,
        'check --url and that the server runs',
        1,
      )
    }
  }
}
