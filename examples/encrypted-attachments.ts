// Encrypted attachments: an architecture office attaches a large drawing to a project document
// and shares the database with a builder, whose database syncs attachments lazily: it pulls the
// documents, then fetches only the chunks of what it opens, and only the part it reads. A revised
// drawing with one page changed stores only the chunks around the change.
import { TenantFactory } from '@weft/core'
import { count } from './helpers/format.ts'
import { runMain, type ExampleOptions } from './helpers/runMain.ts'

type Project = { name: string; phase: string }

export interface EncryptedAttachmentsResult {
  /** Bytes of the drawing, and the chunks it was split into. */
  readonly size: number
  readonly chunks: number
  /** Chunk entries in the builder's store after its pull (none: lazy), after a ranged read, after a full read. */
  readonly builderChunksAfterPull: number
  readonly builderChunksAfterRange: number
  readonly builderChunksAfterRead: number
  /** Whether the builder read exactly the bytes written: the range, then the whole revision. */
  readonly rangeMatches: boolean
  readonly revisionMatches: boolean
  /** New chunk entries the revised drawing (one page changed) added in the office's store. */
  readonly chunksAddedByRevision: number
  /** What the builder lists on the document. */
  readonly listed: { name: string; type: string; size: number }[]
}

/** A stand-in for a drawing: pages of 64 KiB, each different, from a fixed seed. */
function drawing(pages: number, revisedPage = -1): Uint8Array {
  const out = new Uint8Array(pages * 65_536)
  let x = 2463534242
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = (x & 0xff) ^ (Math.floor(i / 65_536) === revisedPage ? 0x5a : 0)
  }
  return out
}

async function chunkCount(store: {
  scan: (c: null, o: { limit: number }) => Promise<{ entries: { kind: string }[] }>
}) {
  return (await store.scan(null, { limit: 100_000 })).entries.filter((e) => e.kind === 'chunk').length
}

export async function run(options: ExampleOptions = {}): Promise<EncryptedAttachmentsResult> {
  const log = options.log ?? (() => {})
  log('Weft example: encrypted attachments, synced lazily')
  log('')
  const factory = new TenantFactory({ kdf: options.kdf })
  const office = await factory.createTenant({ tenantId: 'studio-north', password: 'office password' })
  const builder = await factory.createTenant({ tenantId: 'brick-and-beam', password: 'builder password' })
  await builder.addPartner(office.publicProfile(), { dbs: ['projects'] })
  await office.keyBag.generateKey('projects-key')
  await builder.acceptSharedKey(office.shareKey('projects-key', builder.publicProfile()))
  const source = await office.openDB('projects', { keyId: 'projects-key' })
  const target = await builder.openDB('projects', { attachments: 'lazy' })

  // Bytes in hand go straight into changeDoc; a stream or a Blob is written first (writeAttachment).
  const plan = drawing(40)
  const project = await source.createDocument<Project>({ data: { name: 'Harbour library', phase: 'design' } })
  const upload = await source.writeAttachment(project, new Blob([plan.buffer as ArrayBuffer]).stream(), {
    type: 'application/pdf',
  })
  await source.changeDoc(project, (d) => d.addAttachment('ground-floor.pdf', upload))
  const chunks = upload.record.chunks.length
  log(`${office.id} attaches ground-floor.pdf (${plan.length} bytes): ${chunks} encrypted chunks.`)

  await target.pullChangesFrom(source)
  const builderChunksAfterPull = await chunkCount(target.getStore())
  const doc = (await target.getDocument<Project>(project.getId()))!
  const listed = doc.listAttachments().map(({ name, type, size }) => ({ name, type, size }))
  log(
    `${builder.id} pulls "projects" lazily: it lists ${listed.map((a) => a.name).join(', ')}, holds ${builderChunksAfterPull} chunks.`,
  )

  // Page 3 only: the chunks that overlap it are fetched from the source, checked and kept.
  const parts: Uint8Array[] = []
  for await (const piece of doc.streamAttachment('ground-floor.pdf', { start: 3 * 65_536, end: 4 * 65_536 }))
    parts.push(piece.slice())
  const page = new Uint8Array(await new Blob(parts.map((p) => p.buffer as ArrayBuffer)).arrayBuffer())
  const rangeMatches = page.length === 65_536 && page.every((b, i) => b === plan[3 * 65_536 + i])
  const builderChunksAfterRange = await chunkCount(target.getStore())
  log(`Reading page 3 fetches ${builderChunksAfterRange} of the ${chunks} chunks.`)

  // A revision with page 20 changed: only the chunks around that page are new.
  const before = await chunkCount(source.getStore())
  const revised = drawing(40, 20)
  await source.changeDoc(project, (d) => d.addAttachment('ground-floor.pdf', revised, { type: 'application/pdf' }))
  const chunksAddedByRevision = (await chunkCount(source.getStore())) - before
  log(`${office.id} revises page 20: ${count(chunksAddedByRevision, 'new chunk')} stored, the rest reused.`)

  await target.pullChangesFrom(source)
  const latest = (await target.getDocument<Project>(project.getId()))!
  const read = await latest.getAttachment('ground-floor.pdf')
  const revisionMatches = read.length === revised.length && read.every((b, i) => b === revised[i])
  const builderChunksAfterRead = await chunkCount(target.getStore())
  log(
    `${builder.id} opens the revision: ${revisionMatches ? 'the same bytes' : 'different bytes'}; it now holds ${builderChunksAfterRead} chunks.`,
  )

  await office.close()
  await builder.close()
  await factory.close()
  return {
    size: plan.length,
    chunks,
    builderChunksAfterPull,
    builderChunksAfterRange,
    builderChunksAfterRead,
    rangeMatches,
    revisionMatches,
    chunksAddedByRevision,
    listed,
  }
}

runMain(import.meta, run)
