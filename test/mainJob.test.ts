import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TEST_KDF } from '@weft/core'
import { run } from '../examples/persistent-supplier-customer.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'weft-main-'))
  dirs.push(d)
  return d
}

function start(dataDir: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'examples/persistent-supplier-customer.ts'], {
      env: { ...process.env, WEFT_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let stdout = ''
    child.stdout.on('data', (b) => (stdout += b))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout }))
  })
}

describe('the main job (npm start) on LevelDB', () => {
  it('creates the tenants and grants once, then reopens them and the orchestrator sends only what is new', async () => {
    const dataDir = await tempDir()
    const first = await run({ dataDir, kdf: TEST_KDF })
    expect(first).toMatchObject({ created: true, run: 1, moved: { toSupplier: 1, toCustomer: 1, toCarrier: 1 } })
    const second = await run({ dataDir, kdf: TEST_KDF })
    expect(second).toMatchObject({ created: false, run: 2, moved: { toSupplier: 1, toCustomer: 1, toCarrier: 1 } })
    expect(Object.values(second.customerOrders).map((o) => o.status)).toEqual(['confirmed', 'confirmed'])
    expect(second.supplierOrders).toEqual(second.customerOrders)
    // The carrier holds exactly the supplier's "ready" dispatch notes: never a cost sheet.
    const ready = Object.fromEntries(Object.entries(second.supplierDispatch).filter(([, d]) => d.status === 'ready'))
    expect(Object.keys(ready)).toHaveLength(2)
    expect(Object.keys(second.supplierDispatch)).toHaveLength(4)
    expect(second.carrierDispatch).toEqual(ready)
    // Each trail verifies and grew: share/accept once, then sync records each run.
    for (const [id, a] of Object.entries(second.audit)) {
      expect(a.ok, id).toBe(true)
      expect(a.records, id).toBeGreaterThan(first.audit[id]!.records)
    }
  })

  it('runs as a script twice over one data folder, the second time reopening from disk', async () => {
    const dataDir = await tempDir()
    const a = await start(dataDir)
    expect(a.code).toBe(0)
    expect(a.stdout).toMatch(/Run 1: created acme-retail, globex-supply and initech-freight/)
    const b = await start(dataDir)
    expect(b.code).toBe(0)
    expect(b.stdout).toMatch(/Run 2: reopened the three tenants from disk/)
    expect(b.stdout).toMatch(/Orchestrator round: 1 entry to globex-supply/)
    expect(b.stdout).toMatch(/Relationship acme-globex\/orders: sent 2, received 2 over all runs, up to date: yes/)
    expect(b.stdout).toMatch(/Audit trails verify: acme-retail yes .*globex-supply yes .*initech-freight yes/)
    expect(b.stdout).toMatch(/Customer and supplier agree: yes/)
  })
})
