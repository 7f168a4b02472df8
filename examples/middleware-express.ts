// The relay mounted inside an Express app with `app.use('/sync', …)`, behind the app's own
// sign-in middleware, which also tells the relay each request's tenant (`resolveTenant`). Mount
// it before any body parser: the relay reads its own bodies, within its own limits.
import type { AddressInfo } from 'node:net'
import express from 'express'
import { createWeftHandler } from '@weft/server'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'
import { exercise, tenantOfSession, type MiddlewareResult } from './middleware/scenario.ts'

export async function run(options: ExampleOptions = {}): Promise<MiddlewareResult> {
  const log = options.log ?? (() => {})
  const weft = await createWeftHandler({ prefix: '/sync', resolveTenant: tenantOfSession })
  const app = express()
  app.get('/hello', (_req, res) => void res.send('hello from the app'))
  const signedIn: express.RequestHandler = (req, res, next) =>
    tenantOfSession(req) ? next() : void res.status(401).send('sign in to the app first')
  app.use('/sync', signedIn, (req, res) => weft.handle(req, res))
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  server.on('upgrade', (req, socket, head) => {
    if (weft.owns(req) && tenantOfSession(req)) weft.upgrade(req, socket, head)
    else socket.destroy()
  })
  try {
    const result = await exercise(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, options)
    log(`Express app: ${JSON.stringify(result)}`)
    return result
  } finally {
    await weft.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

runMain(import.meta, run)
