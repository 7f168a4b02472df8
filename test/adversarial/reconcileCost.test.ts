import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ErrorCodes,
  RECONCILE_LIMITS,
  RECONCILE_VERSION,
  randomBytes,
  ready,
  type ReconcileMessage,
} from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { encodeBody } from '@weft/protocol'
import { healthLatency, startChildServer, type ChildServer } from './helpers/childServer.ts'
import { rawRequest, type RawAnswer } from './helpers/rawRequest.ts'
import { setupTenant, type Device } from '../network/helpers/devices.ts'

/** Entries the server's LevelDB store holds before the attack. */
const ENTRIES = 20_000
/** Time a message at the work budget may take to answer (a full scan per range took minutes). */
const ANSWER_BOUND_MS = 10_000
/** Time a message over the budget may take to be refused. */
const REFUSE_BOUND_MS = 3_000
/** Whole-range fingerprint items that fill the work budget: each may cost 17 range reads (it differs, so it is split). */
const AT_BUDGET = Math.floor(RECONCILE_LIMITS.maxRangeReadsPerMessage / 17)

/** `n` fingerprint items over the whole hash range, each with a made-up count and fingerprint: every one differs. */
function wholeRangeFingerprints(n: number): ReconcileMessage {
  return {
    v: RECONCILE_VERSION,
    items: Array.from({ length: n }, () => ({ t: 'fingerprint' as const, p: '', n: 12_345, fp: randomBytes(16) })),
  }
}

beforeAll(ready)

describe('reconciliation cost on a server', () => {
  let dir: string
  let server: ChildServer
  let a: Device

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-reconcile-cost-'))
    server = await startChildServer(
      { data: dir, authors: 'any', limits: { requestsPerSecond: 10_000, burst: 10_000 } },
      256,
    )
    a = (await setupTenant(server.url, { count: 1 })).devices[0]!
    const factory = new EntryFactory(50)
    for (let i = 0; i < ENTRIES; i += 2_000) {
      await a.remote.relay(Array.from({ length: 2_000 }, (_, k) => envelope(factory.entry(i + k))))
    }
    expect((await a.remote.head()).count).toBe(ENTRIES)
  }, 180_000)
  afterAll(async () => {
    await server?.kill()
    await rm(dir, { recursive: true, force: true })
  })

  /** Sends a reconcile message as raw HTTP while probing health; the answer and the slowest health check. */
  async function attack(message: ReconcileMessage): Promise<{ answer: RawAnswer; slowestHealth: number }> {
    const body = encodeBody({ message })
    const sent = rawRequest(`${server.url}/v1/t/${encodeURIComponent(a.connection.tenant)}/db/notes/reconcile`, {
      body,
      headers: { authorization: `Bearer ${await a.connection.token()}` },
      timeoutMs: 120_000,
    })
    let done = false
    let slowestHealth = 0
    const probe = (async () => {
      while (!done) {
        slowestHealth = Math.max(slowestHealth, await healthLatency(server.url))
        await new Promise((r) => setTimeout(r, 50))
      }
    })()
    const answer = await sent
    done = true
    await probe
    return { answer, slowestHealth }
  }

  it('answers a message of whole-range fingerprints at the work budget within a bound, and health answers meanwhile', async () => {
    const { answer, slowestHealth } = await attack(wholeRangeFingerprints(AT_BUDGET))
    expect(answer.status).toBe(200)
    expect(answer.ms).toBeLessThan(ANSWER_BOUND_MS)
    expect(slowestHealth).toBeLessThan(200)
    expect(server.alive()).toBe(true)
  }, 150_000)

  it('refuses a message just over the work budget with WEFT_WORK_LIMIT at once, reading nothing', async () => {
    const { answer, slowestHealth } = await attack(wholeRangeFingerprints(AT_BUDGET + 1))
    expect(answer).toMatchObject({ status: 400, code: ErrorCodes.WORK_LIMIT })
    expect(answer.ms).toBeLessThan(REFUSE_BOUND_MS)
    expect(slowestHealth).toBeLessThan(200)
  }, 150_000)

  it('answers or refuses the 2.6 MB message of the review (65,536 whole-range fingerprints) within a bound', async () => {
    const message = wholeRangeFingerprints(RECONCILE_LIMITS.maxItems)
    expect(encodeBody({ message }).length).toBeGreaterThan(2_000_000)
    const { answer, slowestHealth } = await attack(message)
    // Refused by the work budget, or before decoding by the tenant's request budget: either way at once.
    expect([ErrorCodes.WORK_LIMIT, ErrorCodes.PAYLOAD_TOO_LARGE]).toContain(answer.code)
    expect(answer.ms).toBeLessThan(REFUSE_BOUND_MS)
    expect(slowestHealth).toBeLessThan(200)
    expect(server.alive()).toBe(true)
  }, 150_000)
})
