import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { asDocId, MultiTenantSyncOrchestrator, ready, type GrantOffer } from '../src/index.ts'
import { sharingSetup } from './helpers/sharing.ts'

beforeAll(ready)

type Team = 'a' | 'b'
type Op =
  | { kind: 'write'; team: Team; fresh: boolean; pick: number }
  | { kind: 'share'; ttlS: number; team: Team | null; approval: boolean }
  | { kind: 'accept' | 'approve' | 'revoke'; pick: number }
  | { kind: 'advance'; seconds: number }
  | { kind: 'sync' }

const team = fc.constantFrom<Team>('a', 'b')
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('write' as const), team, fresh: fc.boolean(), pick: fc.nat(20) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('share' as const),
      ttlS: fc.integer({ min: 1, max: 600 }),
      team: fc.option(team, { nil: null }),
      approval: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('accept' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('approve' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), pick: fc.nat(20) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), seconds: fc.integer({ min: 1, max: 120 }) }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('sync' as const) }) },
)

/** The model's book on one grant. */
interface ModelGrant {
  readonly offer: GrantOffer
  readonly team: Team | null
  readonly expiresAt: number
  readonly approval: boolean
  /** Newest key version sealed into the offer (0 when approval defers the keys). */
  readonly offerVersion: number
  accepted: boolean
  approved: boolean
  revoked: boolean
  /** Ended in the source's view: revoked, or found expired by a sync or an approval attempt. */
  ended: boolean
}

/** Counted over all runs, to show the property is not vacuous. */
const stats = { arrived: 0, deniedSyncs: 0, writesAfterEnd: 0 }

/**
 * Random grant operations — share (with a filter, an expiry, maybe approval), accept, approve,
 * revoke, time passing — interleaved with writes and orchestrated syncs (one relationship per
 * grant). "Delivered" means an entry arriving in the partner's store, and a key version arriving
 * in its key bag. The model says which grants are valid at each moment: accepted, not revoked,
 * approved if required, and before `expiresAt` by the shared clock. `WEFT_PROPERTY_RUNS` runs it
 * longer.
 */
describe('grants property', () => {
  it('never deliver a document or a key to a partner outside a valid grant, and deliver all a valid grant covers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 40, size: 'max' }), async (ops) => {
        const { source, partner, sourceDb, partnerDb, clock } = await sharingSetup({ db: 'data', key: 'k' })
        const o = new MultiTenantSyncOrchestrator({ clock, random: () => 0 })
        const grants: ModelGrant[] = []
        const docs: { id: string; team: Team }[] = []
        let entitled = 0 // newest key version the partner may hold
        const valid = (g: ModelGrant, t: number) =>
          g.accepted && !g.revoked && (!g.approval || g.approved) && t < g.expiresAt
        const matches = (g: ModelGrant, t: Team) => g.team === null || g.team === t
        const teamOf = new Map<string, Team>()
        const partnerHashes = async () => new Set(await partnerDb.getStore().getAllChangeHashes())
        const heldVersion = () => partner.keyBag.versions('k').at(-1)?.version ?? 0

        for (const step of ops) {
          const now = clock()
          switch (step.kind) {
            case 'write': {
              // A revoked (or found expired) partner cannot read what is written after: once every
              // grant it accepted has ended, writes use a key version it does not hold.
              const accepted = grants.filter((g) => g.accepted)
              if (accepted.length && accepted.every((g) => g.ended)) {
                expect(partner.keyBag.has('k', source.keyBag.current('k').version)).toBe(false)
                stats.writesAfterEnd++
              }
              const existing = docs.length && !step.fresh ? docs[step.pick % docs.length] : undefined
              if (existing)
                await sourceDb.changeDoc(
                  asDocId(existing.id),
                  (d) => void (d.getData().n = (d.getData().n as number) + 1),
                )
              else {
                const doc = await sourceDb.createDocument({ data: { team: step.team, n: 0 } })
                docs.push({ id: doc.getId(), team: step.team })
                teamOf.set(doc.getId(), step.team)
              }
              break
            }
            case 'share': {
              const offer = await source.sharing.share({
                partner: partner.publicProfile(),
                databases: ['data'],
                keys: ['k'],
                expiresAt: now + step.ttlS * 1000,
                requiresApproval: step.approval,
                ...(step.team ? { filter: { where: { team: step.team } } } : {}),
              })
              grants.push({
                offer,
                team: step.team,
                expiresAt: now + step.ttlS * 1000,
                approval: step.approval,
                offerVersion: step.approval ? 0 : source.keyBag.current('k').version,
                accepted: false,
                approved: false,
                revoked: false,
                ended: false,
              })
              await o.addRelationship(offer.grant.id, source, partner, ['data'], {
                direction: 'push',
                grantId: offer.grant.id,
              })
              break
            }
            case 'accept': {
              const g = grants[step.pick % Math.max(1, grants.length)]
              if (!g || g.accepted) break
              const ok = now < g.expiresAt
              await (ok
                ? expect(partner.sharing.accept(g.offer)).resolves.toBeDefined()
                : expect(partner.sharing.accept(g.offer)).rejects.toBeDefined())
              if (ok) {
                g.accepted = true
                entitled = Math.max(entitled, g.offerVersion)
              }
              break
            }
            case 'approve': {
              const g = grants[step.pick % Math.max(1, grants.length)]
              if (!g || !g.approval) break
              const ok = !g.revoked && now < g.expiresAt
              await (ok
                ? expect(source.sharing.approve(g.offer.grant.id)).resolves.toBeDefined()
                : expect(source.sharing.approve(g.offer.grant.id)).rejects.toBeDefined())
              if (ok) g.approved = true
              else g.ended = true
              break
            }
            case 'revoke': {
              const g = grants[step.pick % Math.max(1, grants.length)]
              if (!g) break
              await source.sharing.revoke(g.offer.grant.id)
              g.revoked = true
              g.ended = true
              break
            }
            case 'advance':
              clock.advance(step.seconds * 1000)
              break
            case 'sync': {
              const before = await partnerHashes()
              await o.syncAll()
              const after = await partnerHashes()
              const live = grants.filter((g) => valid(g, now))
              const arrived = [...after].filter((h) => !before.has(h))
              // Safety: nothing arrives unless a valid grant covers its document at this moment.
              const docOf = await sourceDocsByHash()
              for (const h of arrived) {
                const t = teamOf.get(docOf.get(h)!)!
                expect(
                  live.some((g) => matches(g, t)),
                  `an entry of a "${t}" document arrived without a valid grant`,
                ).toBe(true)
              }
              stats.arrived += arrived.length
              if (!live.length && grants.length) stats.deniedSyncs++
              // Liveness: everything a valid grant covers has arrived.
              for (const g of live) {
                for (const d of docs.filter((d) => matches(g, d.team))) {
                  for (const h of await sourceDb.getStore().getAllChangeHashesForDoc(asDocId(d.id)))
                    expect(after.has(h)).toBe(true)
                }
              }
              if (live.length) entitled = Math.max(entitled, source.keyBag.current('k').version)
              for (const g of grants) if (now >= g.expiresAt) g.ended = true // every grant has a relationship: its round noticed
              break
            }
          }
          // Keys: the partner never holds a version it was not entitled to when it got it.
          expect(heldVersion()).toBeLessThanOrEqual(entitled)
        }
        await o.stop()

        async function sourceDocsByHash(): Promise<Map<string, string>> {
          const map = new Map<string, string>()
          for (const d of docs)
            for (const h of await sourceDb.getStore().getAllChangeHashesForDoc(asDocId(d.id))) map.set(h, d.id)
          return map
        }
      }),
      { numRuns: Number(process.env.WEFT_PROPERTY_RUNS ?? 100) },
    )
    // Not vacuous: entries did arrive under valid grants, and syncs did run with none valid.
    expect(stats.arrived).toBeGreaterThan(0)
    expect(stats.deniedSyncs).toBeGreaterThan(0)
    expect(stats.writesAfterEnd).toBeGreaterThan(0)
  })
})
