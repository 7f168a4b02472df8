import { describe, expect, it } from 'vitest'
import { signInOrigins } from '../src/signInOrigins.ts'

describe('signInOrigins', () => {
  it('with publicUrls, accepts exactly those origins and, with a base domain, their one-label tenant subdomains', () => {
    const accepts = signInOrigins({
      publicUrls: ['https://sync.example.com', 'http://10.0.0.5:8787/weft'],
      baseDomain: 'sync.example.com',
    })
    const yes = ['https://sync.example.com', 'http://10.0.0.5:8787', 'https://acme.sync.example.com']
    const no = [
      'http://sync.example.com',
      'https://sync.example.com:444',
      'https://a.b.sync.example.com',
      'https://evilsync.example.com',
      'https://sync.example.com.evil',
      'http://10.0.0.5:8788',
      'https://sync.example.com/',
      'https://SYNC.example.com',
      '',
      'not a url',
      42,
      undefined,
    ]
    for (const o of yes) expect(accepts(o, 'anything'), String(o)).toBe(true)
    for (const o of no) expect(accepts(o, 'sync.example.com'), String(o)).toBe(false)
  })

  it("without publicUrls, accepts the origin whose host is the request's Host header", () => {
    const accepts = signInOrigins({})
    expect(accepts('http://127.0.0.1:8787', '127.0.0.1:8787')).toBe(true)
    expect(accepts('https://sync.example.com', 'sync.example.com')).toBe(true)
    expect(accepts('https://sync.example.com', 'sync.example.com:443')).toBe(true)
    expect(accepts('https://sync.example.com', 'other.example.com')).toBe(false)
    expect(accepts('http://127.0.0.1:8787', '127.0.0.1:8788')).toBe(false)
    expect(accepts('http://127.0.0.1:8787', undefined)).toBe(false)
  })
})

describe('signInOrigins options', () => {
  it('refuses a public URL that is not a URL with WEFT_INVALID_ARGUMENT', () => {
    expect(() => signInOrigins({ publicUrls: ['sync.example.com'] })).toThrow(
      expect.objectContaining({ code: 'WEFT_INVALID_ARGUMENT' }),
    )
  })
})
