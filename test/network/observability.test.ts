import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryStoreFactory, ready, TenantFactory, TEST_KDF, type Tenant } from '@weft/core'
import { toBase64Url, toHex } from '@weft/core/backend'
import { registerMembers, RemoteChangeStore, ServerConnection } from '@weft/client'
import { createServerLogger, WeftServer } from '@weft/server'
import { rawPost } from './helpers/http.ts'

const PASSWORD = 'observability password 7f3a'
const SCRAPE_TOKEN = 'scrape-token-5d1e'
let server: WeftServer
const lines: string[] = []
/** Everything clients sent: authorization headers and bodies. */
const sent: { authorization: string[]; bodies: Uint8Array[] } = { authorization: [], bodies: [] }
let tenant: Tenant

const spyFetch: typeof fetch = async (input, init) => {
  const auth = new Headers(init?.headers).get('authorization')
  if (auth) sent.authorization.push(auth)
  if (init?.body instanceof Uint8Array) sent.bodies.push(init.body)
  return fetch(input, init)
}

beforeAll(async () => {
  await ready()
  const destination = { write: (line: string) => void lines.push(line) }
  server = await WeftServer.start({
    logger: createServerLogger({ level: 'info', destination }),
    metrics: { token: SCRAPE_TOKEN },
  })
  tenant = await new TenantFactory({ storeFactory: new MemoryStoreFactory(), kdf: TEST_KDF }).createTenant({
    tenantId: 'observed',
    password: PASSWORD,
  })
  await registerMembers({ url: server.url, tenant: 'observed', admin: tenant.serverSigner(), fetch: spyFetch })
  const db = await tenant.openDB('notes')
  for (let i = 0; i < 20; i++) await db.createDocument({ data: { secret: `plaintext ${i}` } })
  const connection = new ServerConnection({
    url: server.url,
    tenant: 'observed',
    key: tenant.serverSigner(),
    fetch: spyFetch,
  })
  await db.pushChangesTo(new RemoteChangeStore({ connection, db: 'notes' }))
  await rawPost(`${server.url}/v1/t/observed/db/notes/scan`, {}, { authorization: 'Bearer made-up-token' })
})
afterAll(() => server.close())

const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>)

describe('request logs', () => {
  it('one JSON line per request: id, route shape, tenant, status, duration; refusals with their code', () => {
    const requests = records().filter((r) => r.reqId)
    expect(requests.length).toBeGreaterThanOrEqual(4)
    for (const r of requests) {
      expect(typeof r.durationMs).toBe('number')
      expect(typeof r.status).toBe('number')
      expect(String(r.route)).not.toContain('observed') // shapes, not paths
    }
    const push = requests.find((r) => r.route === '/v1/t/:tenant/db/:db/push')
    expect(push).toMatchObject({ tenant: 'observed', status: 200, level: 30 })
    const refused = requests.find((r) => r.status === 401)
    expect(refused).toMatchObject({ code: 'WEFT_UNAUTHORIZED', level: 40 })
  })

  it('answers each request with the id its log line has', async () => {
    const res = await fetch(`${server.url}/v1/t/observed/db/notes/scan`, { method: 'POST' })
    const id = res.headers.get('x-request-id')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    await res.text()
    await expect.poll(() => records().find((r) => r.reqId === id)).toMatchObject({ status: res.status })
  })

  it('never holds a token, a password, a key or entry bytes', async () => {
    const text = lines.join('\n')
    const secrets = [PASSWORD, 'made-up-token', ...sent.authorization.map((a) => a.replace(/^Bearer /, ''))].filter(
      Boolean,
    )
    expect(sent.authorization.length).toBeGreaterThan(0)
    for (const s of secrets) expect(text).not.toContain(s)
    const entries = await (await tenant.openDB('notes')).getStore().getAllChangeHashes()
    const bytes = await (await tenant.openDB('notes')).getStore().getChanges(entries)
    for (const e of bytes) {
      const slice = e.bytes.subarray(e.bytes.length - 24)
      expect(text).not.toContain(toBase64Url(slice))
      expect(text).not.toContain(toHex(slice))
      expect(text).not.toContain(Buffer.from(slice).toString('base64'))
    }
    for (const body of sent.bodies) expect(text).not.toContain(Buffer.from(body.subarray(0, 32)).toString('base64'))
    expect(text).not.toContain('plaintext')
  })
})

describe('metrics', () => {
  it('are served to a scrape with the token only', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401)
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401)
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toMatch(/weft_requests_total\{route="\/v1\/t\/:tenant\/db\/:db\/push",status="200"\} [1-9]/)
    expect(text).toMatch(/weft_refusals_total\{code="WEFT_UNAUTHORIZED"\} [1-9]/)
    expect(text).toMatch(/weft_entries_stored_total 20\b/)
    expect(text).toMatch(/weft_live_connections 0\b/)
    expect(text).toContain('weft_request_duration_seconds_bucket')
  })

  it('keep a bounded set of series whatever paths clients send', async () => {
    for (let i = 0; i < 50; i++) await fetch(`${server.url}/v1/t/x${i}/nothing-${i}`, { method: 'POST' })
    const text = await (
      await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } })
    ).text()
    expect(text).not.toContain('nothing-')
    expect(text).not.toMatch(/x\d+/)
    expect(text).toMatch(/weft_requests_total\{route="unknown",status="404"\} (5\d|[6-9]\d)/)
  })
})

describe('weft-server command line', () => {
  const cli = fileURLToPath(new URL('../../packages/server/src/cli.ts', import.meta.url))
  const runServer = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (out += d.toString()))
      child.once('exit', (code) => resolve({ code, out }))
    })

  it('a bad flag or port prints a code and a remedy, exit 2, no stack trace', async () => {
    for (const args of [
      ['--bogus'],
      ['--port', 'eighty'],
      ['--log-level', 'loud'],
      ['--max-tenants', 'many'],
      ['--postgres', 'postgres://127.0.0.1:1/none', '--single-process', '--workers', '2'],
      ['--postgres-session', 'postgres://127.0.0.1:1/none'],
      ['--postgres', 'postgres://127.0.0.1:1/none', '--prepared-statements'],
    ]) {
      const r = await runServer(['--memory', ...args])
      expect(r.code, r.out).toBe(2)
      expect(r.out).toContain('WEFT_CLI_USAGE')
      expect(r.out).toContain('remedy:')
      expect(r.out).not.toMatch(/\n\s+at /)
    }
  })

  it('a port in use prints the cause and a remedy, exit 1, no stack trace', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
    const port = (blocker.address() as { port: number }).port
    try {
      const r = await runServer(['--memory', '--port', String(port)])
      expect(r.code).toBe(1)
      expect(r.out).toContain('EADDRINUSE')
      expect(r.out).toContain('remedy:')
      expect(r.out).not.toMatch(/\n\s+at /)
    } finally {
      blocker.close()
    }
  })
})
