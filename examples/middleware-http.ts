// The relay mounted inside a plain Node `http` app under /sync, next to the app's own routes; the
// app's sign-in decides each request's tenant (`resolveTenant`), and requests without a session
// never reach the relay.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createWeftHandler } from '@weft/server'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'
import { exercise, tenantOfSession, type MiddlewareResult } from './middleware/scenario.ts'

export async function run(options: ExampleOptions = {}): Promise<MiddlewareResult> {
  const log = options.log ?? (() => {})
  const weft = await createWeftHandler({ prefix: '/sync', resolveTenant: tenantOfSession })
  const server = createServer((req, res) => {
    if (req.url === '/hello') return void res.end('hello from the app')
    if (!req.url?.startsWith('/sync')) return void res.writeHead(404).end()
    if (!tenantOfSession(req)) return void res.writeHead(401).end('sign in to the app first')
    weft.handle(req, res)
  })
  server.on('upgrade', (req, socket, head) => {
    if (weft.owns(req) && tenantOfSession(req)) weft.upgrade(req, socket, head)
    else socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const result = await exercise(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, options)
    log(`plain http app: ${JSON.stringify(result)}`)
    return result
  } finally {
    await weft.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

runMain(import.meta, run)
