import { describe, expect, it } from 'vitest'
import * as server from '@weft/server'

describe('@weft/server entry', () => {
  it('exports what an operator calls: the server, its default quotas and directory limits, the middleware, the webhook signature helpers, its logger and metrics, the storage move, nothing of its internals', () => {
    expect(Object.keys(server).sort()).toEqual([
      'DEFAULT_DIRECTORY_LIMITS',
      'DEFAULT_QUOTAS',
      'LOG_LEVELS',
      'ServerMetrics',
      'WeftServer',
      'createServerLogger',
      'createWeftHandler',
      'moveStorage',
      'signWebhook',
      'verifyWebhook',
    ])
  })
})
