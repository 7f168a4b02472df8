import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { ready, TenantFactory } from '@weft/core'
import { LevelStoreFactory } from '@weft/store-level'
import { weft } from './weft.ts'

export const PASSWORD = 'correct horse battery staple'

/** A temporary folder with a tenant `acme` created by `weft tenant create` and three notes in it. */
export interface Fixture {
  readonly dir: string
  readonly data: string
  readonly env: Record<string, string>
  readonly docId: string
  remove(): Promise<void>
}

export async function fixture(): Promise<Fixture> {
  await ready()
  const dir = await mkdtemp(join(tmpdir(), 'weft-cli-'))
  const data = join(dir, 'data')
  const env = { WEFT_DATA: data, WEFT_TENANT: 'acme', WEFT_PASSWORD: PASSWORD }
  const created = await weft(['tenant', 'create'], env)
  if (created.code !== 0) throw new Error(`weft tenant create failed: ${created.stderr}`)
  const [docId] = await writeNotes(data, 3)
  return { dir, data, env, docId: docId!, remove: () => rm(dir, { recursive: true, force: true }) }
}

/**
 * A {@link fixture} for the tests of one file: made before them, removed after. Its fields are
 * there once the tests run.
 */
export function useFixture(): Fixture {
  const ctx = {} as { -readonly [K in keyof Fixture]: Fixture[K] }
  beforeAll(async () => void Object.assign(ctx, await fixture()))
  afterAll(() => ctx.remove())
  return ctx
}

/** Writes `n` notes into acme's `notes` database in `folder`, in process (the CLI must not hold the folder). */
export async function writeNotes(folder: string, n: number): Promise<string[]> {
  const factory = new TenantFactory({ storeFactory: new LevelStoreFactory({ path: folder }) })
  const t = await factory.openTenant('acme', { password: PASSWORD })
  const db = await t.openDB('notes')
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push((await db.createDocument({ data: { title: `note ${i}`, n: i } })).getId())
  await t.close()
  await factory.close()
  return ids
}
