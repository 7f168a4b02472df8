import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh folder under the OS temp dir, and how to remove it. */
export async function tempDir(label = 'weft-level-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), label))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}
