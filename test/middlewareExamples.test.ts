// Runs the middleware examples: the relay mounted inside a plain http, an Express and a Fastify app.
import { describe, expect, it } from 'vitest'
import { ErrorCodes, TEST_KDF } from '@weft/core'
import { run as plain } from '../examples/middleware-http.ts'
import { run as express } from '../examples/middleware-express.ts'
import { run as fastify } from '../examples/middleware-fastify.ts'

describe('createWeftHandler examples', () => {
  for (const [name, run] of [
    ['plain http', plain],
    ['Express', express],
    ['Fastify', fastify],
  ] as const) {
    it(`${name}: the app keeps its routes and its sign-in, and the relay serves requests and sockets under /sync`, async () => {
      const r = await run({ kdf: TEST_KDF })
      expect(r.appRoute).toBe('hello from the app')
      expect(r.withoutSession).toBe(401)
      expect(r.pushed).toBeGreaterThanOrEqual(1)
      expect(r.receivedOverSocket).toBe(r.pushed)
      expect(r.otherTenantRefused).toBe(ErrorCodes.TENANT_MISMATCH)
    })
  }
})
