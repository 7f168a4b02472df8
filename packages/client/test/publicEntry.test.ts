import { describe, expect, it } from 'vitest'
import * as client from '@weft/client'

describe('@weft/client entry', () => {
  it('exports what an application calls; registrations, challenges, status cells and relay spaces stay out', () => {
    expect(Object.keys(client).sort()).toEqual(
      [
        'DEFAULT_LIMITS',
        'GrantRelay',
        'LiveSync',
        'PROTOCOL_VERSION',
        'RemoteChangeStore',
        'RemoteStoreFactory',
        'STATUS_DB',
        'ServerConnection',
        'StatusPublisher',
        'parseStatusReport',
        'registerMembers',
        'resetTenant',
        'transferTenant',
      ].sort(),
    )
  })
})
