import { describe, expect, it } from 'vitest'
import { TEST_KDF } from '@weft/core'
import { run } from '../examples/presence.ts'

describe('examples/presence.ts', () => {
  it('devices see each other through the relay and in process, follow a move and a leave; the relay stores nothing', async () => {
    const r = await run({ kdf: TEST_KDF })
    expect(r.laptopSees).toEqual(['phone', 'tablet'])
    expect(r.phoneSees).toEqual(['laptop'])
    expect(r.tabletSees).toEqual(['laptop'])
    expect(r.phoneCursorOnLaptop).toBe(40)
    expect(r.laptopSeesAfterLeave).toEqual(['tablet'])
    expect(r.relayEntries).toBe(0)
  })
})
