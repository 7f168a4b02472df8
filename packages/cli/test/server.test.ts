import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ready } from '@weft/core'
import { generateSigningKeyPair, toBase64Url } from '@weft/core/backend'
import { registerMembers, ServerConnection } from '@weft/client'
import { WeftServer } from '@weft/server'
import { weft } from './helpers/weft.ts'

const KEY = `weft_${'A'.repeat(16)}_${'B'.repeat(43)}`
let server: WeftServer
let dir: string
let env: Record<string, string>

beforeAll(async () => {
  await ready()
  dir = await mkdtemp(join(tmpdir(), 'weft-cli-server-'))
  server = await WeftServer.start({ tenancy: { adminKey: KEY } })
  env = { WEFT_SERVER_URL: server.url, WEFT_API_KEY: KEY }
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

const json = async (args: string[], e = env) => {
  const r = await weft([...args, '--json'], e)
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as Record<string, unknown>
}

describe('weft server', () => {
  it("manages a running server's tenants: create, list, suspend, resume, stats, export, delete", async () => {
    expect(await json(['server', 'tenants', 'create', 'acme', '--name', 'Acme'])).toMatchObject({
      id: 'acme',
      status: 'active',
    })
    const listed = (await json(['server', 'tenants', 'list'])).tenants as { id: string }[]
    expect(listed.map((t) => t.id)).toContain('acme')
    const updated = await json([
      'server',
      'tenants',
      'update',
      'acme',
      '--quota',
      'maxEntriesPerTenant=500',
      '--quota',
      'maxBytesPerTenant=unlimited',
      '--flag',
      'livePush=off',
    ])
    expect(updated).toMatchObject({
      name: 'Acme',
      quotas: { maxEntriesPerTenant: 500, maxBytesPerTenant: null },
      flags: { livePush: false },
    })
    // What was not named is kept: a second update changes one flag and leaves the quota.
    expect(await json(['server', 'tenants', 'update', 'acme', '--flag', 'mailbox=off'])).toMatchObject({
      quotas: { maxEntriesPerTenant: 500 },
      flags: { livePush: false, mailbox: false },
    })
    const bad = await weft(['server', 'tenants', 'update', 'acme', '--quota', 'maxEntriesPerTenant=lots'], env)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('WEFT_CLI_BAD_VALUE')
    // Allowing a move keeps the rest of the configuration; a model that does not exist is refused.
    expect(await json(['server', 'tenants', 'update', 'acme', '--isolation-changes', 'database,schema'])).toMatchObject(
      {
        config: { isolationChanges: ['database', 'schema'] },
        flags: { livePush: false, mailbox: false },
      },
    )
    const badModel = await weft(['server', 'tenants', 'update', 'acme', '--isolation-changes', 'cloud'], env)
    expect(badModel.code).toBe(2)
    expect(badModel.stderr).toContain('WEFT_CLI_BAD_VALUE')
    // This server's storage (memory) cannot move tenants between isolation models.
    const move = await weft(['server', 'tenants', 'move', 'acme', 'database'], env)
    expect(move.code).toBe(1)
    expect(move.stderr).toContain('WEFT_MOVE_NOT_ALLOWED')
    expect(await json(['server', 'tenants', 'suspend', 'acme'])).toMatchObject({ status: 'suspended' })
    expect(await json(['server', 'tenants', 'resume', 'acme'])).toMatchObject({ status: 'active' })
    expect(await json(['server', 'stats', 'acme'])).toMatchObject({ tenant: 'acme', entries: 0 })
    const file = join(dir, 'acme.ndjson')
    expect(await json(['server', 'tenants', 'export', 'acme', '--out', file])).toMatchObject({ tenant: 'acme' })
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string })
    expect(lines[0]!.type).toBe('tenant')
    expect(lines.at(-1)!.type).toBe('end')
    expect(await json(['server', 'tenants', 'delete', 'acme'])).toMatchObject({ deleted: 'acme' })
    const gone = await weft(['server', 'tenants', 'show', 'acme'], env)
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(/WEFT_\w+NOT_FOUND/)
  })

  it('creates, lists and revokes API keys; a key is shown once and its secret never listed', async () => {
    const made = await json(['server', 'keys', 'create', '--name', 'dashboard', '--scope', 'admin:tenants'])
    const secret = String(made.key)
    expect(secret).toMatch(/^weft_/)
    const listed = await weft(['server', 'keys', 'list', '--json'], env)
    expect(listed.stdout).toContain(String(made.prefix))
    expect(listed.stdout).not.toContain(secret.slice(-20))
    // The new key works, until revoked.
    expect((await weft(['server', 'tenants', 'list'], { ...env, WEFT_API_KEY: secret })).code).toBe(0)
    expect((await weft(['server', 'keys', 'revoke', String(made.prefix)], env)).code).toBe(0)
    const refused = await weft(['server', 'tenants', 'list'], { ...env, WEFT_API_KEY: secret })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('WEFT_UNAUTHORIZED')
    expect(refused.stderr).toContain('remedy:')
  })

  it("revokes a key whose prefix starts with '-' when it comes after '--'", async () => {
    const dashKey = `weft_-${'C'.repeat(15)}_${'D'.repeat(43)}`
    const other = await WeftServer.start({ tenancy: { adminKey: dashKey } })
    try {
      const dashEnv = { WEFT_SERVER_URL: other.url, WEFT_API_KEY: dashKey }
      const made = await json(['server', 'keys', 'create', '--name', 'ops', '--scope', 'admin:keys'], dashEnv)
      const opsEnv = { ...dashEnv, WEFT_API_KEY: String(made.key) }
      // Without '--' the prefix reads as an option: a usage error, and nothing is revoked.
      expect((await weft(['server', 'keys', 'revoke', `-${'C'.repeat(15)}`], opsEnv)).code).toBe(2)
      expect((await weft(['server', 'keys', 'list'], dashEnv)).code).toBe(0)
      expect((await weft(['server', 'keys', 'revoke', '--', `-${'C'.repeat(15)}`], opsEnv)).code).toBe(0)
      const refused = await weft(['server', 'keys', 'list'], dashEnv)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain('WEFT_UNAUTHORIZED')
    } finally {
      await other.close()
    }
  })

  it("lists a tenant's members as JSON: every key, its status and last sign-in", async () => {
    const tenant = 'cli-members'
    const owner = generateSigningKeyPair()
    const member = generateSigningKeyPair()
    await registerMembers({ url: server.url, tenant, admin: owner, seq: 1, add: [member.publicKey] })
    await new ServerConnection({ url: server.url, tenant, key: member }).token()
    const listed = await json(['server', 'members', 'list', tenant])
    const rows = listed.members as { key: string; role: string | null; status: string; lastSignInAt: number | null }[]
    expect(listed.tenant).toBe(tenant)
    expect(rows.map((r) => r.key).sort()).toEqual([toBase64Url(owner.publicKey), toBase64Url(member.publicKey)].sort())
    const signedIn = rows.find((r) => r.key === toBase64Url(member.publicKey))!
    expect(signedIn).toMatchObject({ status: 'active', role: null })
    expect(signedIn.lastSignInAt).toEqual(expect.any(Number))
  })

  it('says what is missing: no key source (exit 2), no server URL (exit 2), a server that is not there (exit 1)', async () => {
    const noKey = await weft(['server', 'tenants', 'list'], { WEFT_SERVER_URL: server.url })
    expect(noKey.code).toBe(2)
    expect(noKey.stderr).toContain('WEFT_API_KEY')
    const noUrl = await weft(['server', 'tenants', 'list'], { WEFT_API_KEY: KEY })
    expect(noUrl.code).toBe(2)
    expect(noUrl.stderr).toContain('WEFT_CLI_NO_SERVER')
    const away = await weft(['server', 'tenants', 'list', '--url', 'http://127.0.0.1:9'], { WEFT_API_KEY: KEY })
    expect(away.code).toBe(1)
    expect(away.stderr).toContain('WEFT_CLI_SERVER_UNREACHABLE')
    expect(away.stderr).not.toMatch(/\n\s+at /)
  })
})
