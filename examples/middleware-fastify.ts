// The relay mounted inside a Fastify app under /sync: a plugin that leaves request bodies unparsed
// (the relay reads its own), checks the app's sign-in in an `onRequest` hook, and hands the raw
// request to the relay (`reply.hijack()`). The app's sign-in also names each request's tenant.
import Fastify from 'fastify'
import { createWeftHandler } from '@weft/server'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'
import { exercise, tenantOfSession, type MiddlewareResult } from './middleware/scenario.ts'

export async function run(options: ExampleOptions = {}): Promise<MiddlewareResult> {
  const log = options.log ?? (() => {})
  const weft = await createWeftHandler({ prefix: '/sync', resolveTenant: tenantOfSession })
  const app = Fastify()
  app.get('/hello', async () => 'hello from the app')
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null))
    scope.addHook('onRequest', async (request, reply) => {
      if (!tenantOfSession(request.raw)) await reply.code(401).send('sign in to the app first')
    })
    scope.all('/sync/*', (request, reply) => {
      reply.hijack()
      weft.handle(request.raw, reply.raw)
    })
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  app.server.on('upgrade', (req, socket, head) => {
    if (weft.owns(req) && tenantOfSession(req)) weft.upgrade(req, socket, head)
    else socket.destroy()
  })
  try {
    const address = app.server.address() as { port: number }
    const result = await exercise(`http://127.0.0.1:${address.port}`, options)
    log(`Fastify app: ${JSON.stringify(result)}`)
    return result
  } finally {
    await weft.close()
    await app.close()
  }
}

runMain(import.meta, run)
