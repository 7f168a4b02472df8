import { describe, expect, it } from 'vitest'
import { ErrorCodes } from '@weft/core'
import { RegistrationGate } from '../src/RegistrationGate.ts'

const TOKEN = 'operator-token-0123456789'

function codeOf(fn: () => void): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

describe('RegistrationGate', () => {
  it('lets one address create its share of tenants per window, then refuses it with a retry time while others go on', () => {
    const gate = new RegistrationGate({ perAddress: { tenants: 3, windowMs: 60_000 } })
    const t0 = 1_000_000
    for (let i = 0; i < 3; i++) gate.admit('10.0.0.1', undefined, i, t0 + i)
    let refused: unknown
    try {
      gate.admit('10.0.0.1', undefined, 3, t0 + 10)
    } catch (err) {
      refused = err
    }
    expect(refused).toMatchObject({ code: ErrorCodes.RATE_LIMITED, retryAfter: 60 })
    expect(codeOf(() => gate.admit('10.0.0.2', undefined, 3, t0 + 10))).toBeUndefined()
    // A new window, a new share.
    expect(codeOf(() => gate.admit('10.0.0.1', undefined, 4, t0 + 60_000))).toBeUndefined()
  })

  it('creates no tenant once the server holds its limit', () => {
    const gate = new RegistrationGate({ maxTenants: 5 })
    expect(codeOf(() => gate.admit('a', undefined, 4))).toBeUndefined()
    expect(codeOf(() => gate.admit('b', undefined, 5))).toBe(ErrorCodes.SERVER_FULL)
  })

  it('with open registration off, creates tenants only for an operator token', () => {
    const gate = new RegistrationGate({ open: false, tokens: [TOKEN] })
    expect(codeOf(() => gate.admit('a', undefined, 0))).toBe(ErrorCodes.REGISTRATION_CLOSED)
    expect(codeOf(() => gate.admit('a', `${TOKEN}x`, 0))).toBe(ErrorCodes.REGISTRATION_CLOSED)
    expect(codeOf(() => gate.admit('a', 42, 0))).toBe(ErrorCodes.REGISTRATION_CLOSED)
    expect(codeOf(() => gate.admit('a', TOKEN, 0))).toBeUndefined()
  })

  it('refuses options that cannot work', () => {
    expect(codeOf(() => new RegistrationGate({ tokens: ['short'] }))).toBe(ErrorCodes.INVALID_ARGUMENT)
    expect(codeOf(() => new RegistrationGate({ perAddress: { tenants: 1, windowMs: 0 } }))).toBe(
      ErrorCodes.INVALID_ARGUMENT,
    )
    expect(codeOf(() => new RegistrationGate({ maxTenants: -1 }))).toBe(ErrorCodes.INVALID_ARGUMENT)
  })
})
