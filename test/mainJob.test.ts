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
  it('creates the tenants once, then reopens them and syncs only the new order', async () => {
    const dataDir = await tempDir()
    const first = await run({ dataDir, kdf: TEST_KDF })
    expect(first).toMatchObject({ created: true, run: 1, sentToSupplier: 1, sentToCustomer: 1 })
    const second = await run({ dataDir, kdf: TEST_KDF })
    expect(second).toMatchObject({ created: false, run: 2, sentToSupplier: 1, sentToCustomer: 1 })
    expect(Object.values(second.customerOrders).map((o) => o.status)).toEqual(['confirmed', 'confirmed'])
    expect(second.supplierOrders).toEqual(second.customerOrders)
  })

  it('runs as a script twice over one data folder, the second time reopening from disk', async () => {
    const dataDir = await tempDir()
    const a = await start(dataDir)
    expect(a.code).toBe(0)
    expect(a.stdout).toMatch(/Run 1: created tenants acme-retail and globex-supply/)
    const b = await start(dataDir)
    expect(b.code).toBe(0)
    expect(b.stdout).toMatch(/Run 2: reopened tenants .* from disk/)
    expect(b.stdout).toMatch(/customer → supplier: 1 entry sent \(2 over all runs\)/)
    expect(b.stdout).toMatch(/Both sides agree: yes/)
  })
})
