import { describe, expect, it } from 'vitest'
import { ErrorCodes } from '@weft/core'
import { SOCKET_CLOSE } from '@weft/protocol'
import { closeError, reconnectsAtOnce } from '../src/webSocket.ts'

describe('closeError', () => {
  it('a tenant held for a move (4429) is a network error to retry with backoff, on the same address and session', () => {
    const calls: string[] = []
    const connection = { invalidate: () => calls.push('invalidate'), failover: () => (calls.push('failover'), true) }
    const ev = { code: SOCKET_CLOSE.TRY_LATER, reason: 'WEFT_TENANT_MOVING: the tenant is being moved' }
    const error = closeError(ev, connection, 'http://a')
    expect(error?.code).toBe(ErrorCodes.NETWORK) // LiveSync stops only on FORBIDDEN and UNAUTHORIZED
    expect(error?.message).toContain('WEFT_TENANT_MOVING')
    expect(reconnectsAtOnce(ev)).toBe(false) // with backoff
    expect(calls).toEqual([])
  })
})
