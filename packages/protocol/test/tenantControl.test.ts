import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, generateSigningKeyPair, packValue, ready, unpackValue } from '@weft/core/backend'
import {
  createTenantControl,
  MAX_DIRECTORY_RECORDS_PER_REQUEST,
  parseTenantControl,
  parseTenantRequest,
  verifyTenantControl,
} from '../src/index.ts'

beforeAll(ready)

/** Through the wire and back, as the server sees it. */
const wire = <T>(v: T): unknown => unpackValue(packValue(v), 1 << 24)

describe('tenant control operations', () => {
  it('verify as signed, and not once any field changes or a transfer reads as a reset', () => {
    const signer = generateSigningKeyPair()
    const to = generateSigningKeyPair().publicKey
    const t = createTenantControl({ op: 'transfer', server: 's1', tenant: 'acme', seq: 7, to }, signer)
    expect(verifyTenantControl(parseTenantControl(wire(t)))).toBe(true)
    expect(verifyTenantControl({ ...t, seq: 8 })).toBe(false)
    expect(verifyTenantControl({ ...t, server: 's2' })).toBe(false)
    expect(verifyTenantControl({ ...t, tenant: 'other' })).toBe(false)
    expect(verifyTenantControl({ ...t, to: generateSigningKeyPair().publicKey })).toBe(false)
    const { to: _dropped, ...asReset } = t
    expect(verifyTenantControl({ ...asReset, op: 'reset' })).toBe(false)
    const r = createTenantControl({ op: 'reset', server: 's1', tenant: 'acme', seq: 7 }, signer)
    expect(verifyTenantControl(r)).toBe(true)
    expect(verifyTenantControl({ ...r, signer: generateSigningKeyPair().publicKey })).toBe(false)
  })

  it('are parsed strictly: a transfer names its new admin, a reset none, each only under its own operation', () => {
    const signer = generateSigningKeyPair()
    const to = generateSigningKeyPair().publicKey
    const t = createTenantControl({ op: 'transfer', server: 's1', tenant: 'acme', seq: 1, to }, signer)
    const r = createTenantControl({ op: 'reset', server: 's1', tenant: 'acme', seq: 1 }, signer)
    expect(parseTenantRequest('transfer', wire({ control: t }))).toMatchObject({ op: 'transfer', control: { seq: 1 } })
    expect(() => parseTenantRequest('reset', wire({ control: t }))).toThrow(
      expect.objectContaining({ code: ErrorCodes.PROTOCOL }),
    )
    expect(() => parseTenantControl(wire({ ...r, to }))).toThrow(expect.objectContaining({ code: ErrorCodes.PROTOCOL }))
    const { to: _to, ...noTo } = t
    expect(() => parseTenantControl(wire(noTo))).toThrow(expect.objectContaining({ code: ErrorCodes.PROTOCOL }))
    expect(() => parseTenantControl(wire({ ...t, signature: new Uint8Array(10) }))).toThrow(
      expect.objectContaining({ code: ErrorCodes.PROTOCOL }),
    )
    expect(() => createTenantControl({ op: 'transfer', server: 's1', tenant: 'acme', seq: 1 }, signer)).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }),
    )
  })

  it('directory bodies: a list of strings, at most the request limit', () => {
    expect(parseTenantRequest('directory', wire({ records: ['a.b'] }))).toEqual({ op: 'directory', records: ['a.b'] })
    expect(() => parseTenantRequest('directory', wire({ records: [1] }))).toThrow(
      expect.objectContaining({ code: ErrorCodes.PROTOCOL }),
    )
    expect(() => parseTenantRequest('directory', wire({ records: 'a.b' }))).toThrow(
      expect.objectContaining({ code: ErrorCodes.PROTOCOL }),
    )
    const many = Array.from({ length: MAX_DIRECTORY_RECORDS_PER_REQUEST + 1 }, () => 'a.b')
    expect(() => parseTenantRequest('directory', wire({ records: many }))).toThrow(
      expect.objectContaining({ code: ErrorCodes.TOO_MANY_ENTRIES }),
    )
  })
})
