import { beforeAll, describe, expect, it } from 'vitest'
import { MultiTenantSyncOrchestrator, ready, type OrchestratorEvents } from '../src/index.ts'
import { partners } from './helpers/partners.ts'

beforeAll(ready)

describe('orchestrator progress', () => {
  it('reports each transfer of a round: monotonic entries, ending with done at the total', async () => {
    const { tenants, dbs } = await partners(['acme', 'globex'], 'orders', 'orders-key')
    for (let i = 0; i < 2_500; i++) await dbs[0]!.createDocument({ data: { n: i } })
    const orchestrator = new MultiTenantSyncOrchestrator()
    await orchestrator.addRelationship('r', tenants[0]!, tenants[1]!, ['orders'], { direction: 'push' })
    const events: OrchestratorEvents['sync-progress'][] = []
    orchestrator.on('sync-progress', (e) => events.push(e))
    const result = await orchestrator.syncAll()
    expect(result.sent).toBe(2_500)
    expect(events.length).toBeGreaterThan(1)
    expect(events.every((e) => e.relationshipId === 'r' && e.db === 'orders' && e.direction === 'push')).toBe(true)
    for (let i = 1; i < events.length; i++) expect(events[i]!.entries).toBeGreaterThanOrEqual(events[i - 1]!.entries)
    const done = events.filter((e) => e.phase === 'done')
    expect(done[0]).toMatchObject({ entries: 2_500, totalEntries: 2_500 })
    expect(done[0]!.bytes).toBeGreaterThan(0)
    await orchestrator.stop()
  })
})
