import { describe, expect, it } from 'vitest'
import * as server from '@weft/server'

describe('@weft/server entry', () => {
  it('exports what an operator calls: the server, its default quotas and the storage move, nothing of its internals', () => {
    expect(Object.keys(server).sort()).toEqual(['DEFAULT_QUOTAS', 'WeftServer', 'moveStorage'])
  })
})
