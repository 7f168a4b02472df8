// Runs every example under examples/ (the collaboration patterns of the core issue) and checks
// what each one claims, then runs `npm start`'s script as a child process.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ErrorCodes, TEST_KDF } from '@weft/core'
import { run as twoOrgs } from '../examples/two-orgs-shared-db.ts'
import { run as filteredSharing } from '../examples/filtered-sharing.ts'
import { run as namedKey } from '../examples/named-key-collaboration.ts'
import { run as incremental } from '../examples/incremental-sync.ts'
import { run as bidirectional } from '../examples/bidirectional-concurrent.ts'
import { run as typeFilter } from '../examples/document-type-filter.ts'
import { run as supplierCustomer } from '../examples/supplier-customer.ts'
import { run as consortium } from '../examples/research-consortium.ts'
import { run as limitedAccess } from '../examples/limited-access-tenant.ts'
import { run as queriesAndHistory } from '../examples/queries-and-history.ts'

const options = { kdf: TEST_KDF }
const repoRoot = fileURLToPath(new URL('..', import.meta.url))

describe('examples', () => {
  it('1. two organisations sharing a database both see all documents', async () => {
    const r = await twoOrgs(options)
    expect(Object.keys(r.alpha)).toHaveLength(4)
    expect(r.beta).toEqual(r.alpha)
    const owners = Object.values(r.alpha)
      .map((p) => p.owner)
      .sort()
    expect(owners).toEqual(['alpha-labs', 'alpha-labs', 'beta-works', 'beta-works'])
    expect(r.betaPulled).toBe(2)
    expect(r.alphaPulled).toBe(2)
  })

  it('2. filtered sharing sends only public documents; the target store never gets the others', async () => {
    const r = await filteredSharing(options)
    expect(r.publicIds).toHaveLength(3)
    expect(r.privateIds).toHaveLength(2)
    expect(r.readerEntries).toEqual(r.expectedEntries)
    expect(r.leakedEntries).toBe(0)
    expect(r.readerKnows).toEqual(r.publicIds)
    expect(r.sentFirst).toBe(4) // two public documents, two entries each
    expect(r.sentSecond).toBe(3) // the published one's create, edit and publish entries
    expect(r.publicIds).toContain(r.publishedLater)
  })

  it('3. a partner given only the collaboration key reads exactly the collaboration documents', async () => {
    const r = await namedKey(options)
    expect(r.wrongPasswordCode).toBe(ErrorCodes.WRONG_PASSWORD)
    expect(r.entriesReceived).toBe(4)
    expect(r.readableByB).toEqual(r.collabIds)
    expect(r.textsReadByB).toEqual(['Moodboard for the joint campaign', 'Shared shot list'])
    for (const id of r.collabIds) expect(r.statusInB[id]).toBe('ready')
    for (const id of r.privateIds) expect(r.statusInB[id]).toBe('locked')
  })

  it('4. incremental sync resumes from saved state and sends only new entries', async () => {
    const r = await incremental(options)
    expect(r.sourceEntriesAtFirstRun).toBe(6)
    expect(r.entriesAddedBetweenRuns).toBe(4)
    expect(r.sent).toEqual([6, 4, 0])
    expect(r.finalState.totalSent).toBe(10)
    const cursors = r.savedStates.map((s) => (JSON.parse(s) as typeof r.finalState).cursor)
    expect(cursors.map((c) => c?.seq)).toEqual([6, 10, 10])
    expect(new Set(cursors.map((c) => c?.epoch)).size).toBe(1)
    expect(Object.keys(r.targetDocs)).toHaveLength(5)
    expect(r.targetDocs).toEqual(r.sourceDocs)
  })

  it('5. concurrent edits to different fields of one document are both kept on both sides', async () => {
    const r = await bidirectional(options)
    const merged = { title: 'Checkout fails on Safari', status: 'in-progress', assignee: 'dana@beta' }
    expect(r.alphaView).toEqual(merged)
    expect(r.betaView).toEqual(merged)
    expect(r.alphaHeads).toHaveLength(2)
    expect(r.betaHeads).toEqual(r.alphaHeads)
    expect([r.sentAlphaToBeta, r.sentBetaToAlpha]).toEqual([1, 1])
  })

  it('6. a document-type filter shares only orders', async () => {
    const r = await typeFilter(options)
    expect(r.orderIds).toHaveLength(3)
    expect(Object.keys(r.partnerDocs).sort()).toEqual(r.orderIds)
    expect(Object.values(r.partnerDocs).every((d) => d.type === 'order')).toBe(true)
    expect(r.otherEntriesOnPartner).toBe(0)
    expect(r.partnerEntries).toBe(r.orderEntries)
    expect(r.sent).toEqual([2, 1])
  })

  it('7. supplier and customer: the order goes to the supplier and its status comes back', async () => {
    const r = await supplierCustomer(options)
    const final = { item: 'oak dining table', quantity: 2, status: 'confirmed', deliveryDate: '2026-12-01' }
    expect(r.customerView).toEqual(final)
    expect(r.supplierView).toEqual(final)
    expect(r.sentToSupplier).toBe(1)
    expect(r.sentToCustomer).toBe(1)
    expect(r.customerEntries).toHaveLength(2)
    expect(r.supplierEntries).toEqual(r.customerEntries)
  })

  it('8. four institutions syncing pairwise in a ring converge', async () => {
    const r = await consortium(options)
    expect(r.institutions).toHaveLength(4)
    const [first, ...rest] = r.institutions.map((i) => r.views[i])
    expect(Object.keys(first!)).toHaveLength(5) // one finding each, plus the protocol
    for (const view of rest) expect(view).toEqual(first)
    const [firstStore, ...otherStores] = r.institutions.map((i) => r.stores[i])
    for (const store of otherStores) expect(store).toEqual(firstStore)
    expect(first![r.protocolId]).toEqual({
      title: 'Shared trial protocol',
      enrolment: { 'uni-oslo': 10, 'inst-pasteur': 20, 'kyoto-med': 30, 'mit-biolab': 40 },
    })
    for (const rounds of r.roundsToConverge) expect(rounds).toBeGreaterThan(1)
  })

  it('9. a partner of a limited-access tenant can read nothing of the main tenant', async () => {
    const r = await limitedAccess(options)
    expect(r.partnerReadable).toEqual(r.sharedIds)
    expect(r.partnerReadable.filter((id) => r.mainIds.includes(id))).toEqual([])
    expect(r.mainEntriesPushed).toBe(2)
    for (const id of r.mainIds) {
      expect(r.mainStatusAfterPush[id]).toBe('untrusted')
      expect(r.mainStatusAfterTrust[id]).toBe('locked')
    }
  })

  it('10. queries use an index, a live query follows a synced edit, search finds by title, history names who changed what', async () => {
    const r = await queriesAndHistory(options)
    expect(r.openByPriority).toEqual([
      'Login fails with a long password',
      'Slow search on large boards',
      'Export to CSV',
    ])
    expect(r.usedIndex).toBe('byStatusAndPriority')
    expect(r.liveCounts).toEqual([3, 2])
    expect(r.searchHits).toEqual(['Login fails with a long password'])
    expect(r.historyKinds).toEqual(['change', 'create'])
    expect(r.historyAuthors).toEqual(['tracker-partner', 'tracker-team'])
    expect([r.statusBefore, r.statusNow]).toEqual(['open', 'closed'])
    // A string field's edit is a put and a splice of its text: every patch is under `status`.
    expect(new Set(r.diffPaths.map((p) => p.split('.')[0]))).toEqual(new Set(['status']))
  })

  it('npm start runs the supplier-customer example and prints the synced status', async () => {
    const { code, stdout, stderr } = await runScript(['tsx', 'examples/supplier-customer.ts'])
    expect(code, stderr).toBe(0)
    expect(stdout).toMatch(/customer acme-retail: 1 document, 2 entries; order .* = .*"status":"confirmed"/)
    expect(stdout).toMatch(/supplier globex-supply: 1 document, 2 entries; order .* = .*"status":"confirmed"/)
    expect(stdout).toContain('Same entries on both sides: yes.')
  })
})

function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
