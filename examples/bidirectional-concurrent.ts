// Bidirectional sync with concurrent edits: both organisations hold the same document, and while
// apart, one changes its `status` and the other its `assignee`. `syncDatabases(a, b)` syncs both
// ways and Automerge merges the two changes: both edits are kept, on both sides.
import { TenantFactory, syncDatabases } from '@weft/core'
import { count, entries } from './helpers/format.ts'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

type Ticket = { title: string; status: string; assignee: string }

export interface BidirectionalResult {
  readonly ticketId: string
  readonly alphaView: Ticket
  readonly betaView: Ticket
  /** Entry heads of the document on each side after the merge (equal when converged). */
  readonly alphaHeads: string[]
  readonly betaHeads: string[]
  /** Entries sent each way by the sync that merged the concurrent edits. */
  readonly sentAlphaToBeta: number
  readonly sentBetaToAlpha: number
}

export async function run(options: ExampleOptions = {}): Promise<BidirectionalResult> {
  const log = options.log ?? (() => {})
  log('Weft example: bidirectional sync of concurrent edits')
  log('')
  const factory = new TenantFactory({ kdf: options.kdf })
  const alpha = await factory.createTenant({ tenantId: 'alpha-support', password: 'alpha password' })
  const beta = await factory.createTenant({ tenantId: 'beta-engineering', password: 'beta password' })
  // Both sides write to the ticket, so each must trust the other's signers.
  await alpha.addPartner(beta.publicProfile(), { dbs: ['tickets'] })
  await beta.addPartner(alpha.publicProfile(), { dbs: ['tickets'] })
  await alpha.keyBag.generateKey('tickets-key')
  await beta.acceptSharedKey(alpha.shareKey('tickets-key', beta.publicProfile()))
  const a = await alpha.openDB('tickets', { keyId: 'tickets-key' })
  const b = await beta.openDB('tickets', { keyId: 'tickets-key' })

  const ticket = await a.createDocument<Ticket>({
    data: { title: 'Checkout fails on Safari', status: 'open', assignee: '' },
  })
  const id = ticket.getId()
  await syncDatabases(a, b)
  log(`${alpha.id} opens a ticket; after a sync both sides hold ${JSON.stringify(ticket.toJSON())}`)

  await a.changeDoc<Ticket>(id, (d) => {
    d.getData().status = 'in-progress'
  })
  await b.changeDoc<Ticket>(id, (d) => {
    d.getData().assignee = 'dana@beta'
  })
  log(`Concurrently, ${alpha.id} sets status "in-progress" and ${beta.id} sets assignee "dana@beta".`)

  const { aToB, bToA } = await syncDatabases(a, b)
  log(`syncDatabases: ${entries(aToB.transferred)} ${alpha.id} → ${beta.id}, ${entries(bToA.transferred)} back.`)

  const alphaDoc = (await a.getDocument<Ticket>(id))!
  const betaDoc = (await b.getDocument<Ticket>(id))!
  log(`  ${alpha.id} reads ${JSON.stringify(alphaDoc.toJSON())}`)
  log(`  ${beta.id} reads ${JSON.stringify(betaDoc.toJSON())}`)
  const result: BidirectionalResult = {
    ticketId: id,
    alphaView: alphaDoc.toJSON(),
    betaView: betaDoc.toJSON(),
    alphaHeads: alphaDoc.getHeads(),
    betaHeads: betaDoc.getHeads(),
    sentAlphaToBeta: aToB.transferred,
    sentBetaToAlpha: bToA.transferred,
  }
  log(
    `Both edits kept on both sides; the document has ${count(result.alphaHeads.length, 'head')} (two concurrent branches).`,
  )

  await alpha.close()
  await beta.close()
  await factory.close()
  return result
}

runMain(import.meta, run)
