import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { announcement, channelName, parseAnnouncement } from '../src/tabAnnouncements.ts'

const hash = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 })

describe('announcements between tabs', () => {
  it('carries the hashes of an append, and only well-formed ones out of anything heard', () => {
    fc.assert(
      fc.property(fc.array(hash, { maxLength: 20 }), fc.array(fc.anything(), { maxLength: 5 }), (hashes, junk) => {
        expect(parseAnnouncement(announcement(hashes))).toEqual(hashes)
        // Whatever else is posted on the channel names no hash that is not one.
        const mixed = { v: 1, hashes: [...junk, ...hashes] }
        expect(parseAnnouncement(mixed)).toEqual([
          ...junk.filter((j) => typeof j === 'string' && /^[0-9a-f]{64}$/.test(j)),
          ...hashes,
        ])
      }),
    )
  })

  it('hears nothing in a message that is not an announcement', () => {
    fc.assert(
      fc.property(fc.anything(), (data) => {
        const looksLikeOne =
          typeof data === 'object' &&
          data !== null &&
          (data as { v?: unknown }).v === 1 &&
          Array.isArray((data as { hashes?: unknown }).hashes)
        if (!looksLikeOne) expect(parseAnnouncement(data)).toEqual([])
      }),
    )
    expect(parseAnnouncement({ v: 2, hashes: ['a'.repeat(64)] })).toEqual([])
  })

  it('names one channel per database and store, whatever characters the names hold', () => {
    expect(channelName('a/b', 'c')).not.toBe(channelName('a', 'b/c'))
    expect(channelName('db', 'tenant/x')).toBe(channelName('db', 'tenant/x'))
  })
})
