// Runs examples/encrypted-attachments.ts and checks what it claims.
import { describe, expect, it } from 'vitest'
import { TEST_KDF } from '@weft/core'
import { run } from '../examples/encrypted-attachments.ts'

describe('example: encrypted attachments', () => {
  it('a lazy partner fetches only what it reads, and a revision stores only the changed chunks', async () => {
    const r = await run({ kdf: TEST_KDF })
    expect(r.size).toBe(40 * 65_536)
    expect(r.listed).toEqual([{ name: 'ground-floor.pdf', type: 'application/pdf', size: r.size }])
    expect(r.builderChunksAfterPull).toBe(0)
    expect(r.rangeMatches).toBe(true)
    expect(r.builderChunksAfterRange).toBeGreaterThan(0)
    expect(r.builderChunksAfterRange).toBeLessThanOrEqual(6)
    expect(r.chunksAddedByRevision).toBeGreaterThan(0)
    expect(r.chunksAddedByRevision).toBeLessThanOrEqual(6)
    expect(r.revisionMatches).toBe(true)
    // The full read fetched the revision's chunks: the unchanged ones were already there or shared.
    expect(r.builderChunksAfterRead).toBeLessThanOrEqual(r.chunks + r.chunksAddedByRevision)
    expect(r.builderChunksAfterRead).toBeGreaterThan(r.builderChunksAfterRange)
  })
})
