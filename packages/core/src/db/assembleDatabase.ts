import type { Emitter } from '../events.ts'
import type { ChangeStore } from '../store/index.ts'
import type { DbName, Origin } from '../types.ts'
import { AttachmentDocs, Attachments } from './attachments/index.ts'
import { claimIndex } from './claimIndex.ts'
import type { DatabaseContext } from './DatabaseContext.ts'
import { DatabaseGate } from './DatabaseGate.ts'
import { DatabaseSettings } from './DatabaseSettings.ts'
import type { DatabaseEvents, DatabaseOptions } from './databaseTypes.ts'
import { DocIndex } from './DocIndex.ts'
import { DocumentReader } from './DocumentReader.ts'
import { DocumentWriter } from './DocumentWriter.ts'
import { IndexKeeper } from './IndexKeeper.ts'
import { Materialiser } from './Materialiser.ts'
import { IndexStateStore } from './query/index.ts'
import { Residency } from './Residency.ts'

/** A database's collaborators, wired to one another over its store. */
export interface DatabaseParts {
  readonly settings: DatabaseSettings
  readonly docs: AttachmentDocs
  readonly attachments: Attachments
  readonly materialiser: Materialiser
  readonly keeper: IndexKeeper
  readonly residency: Residency
  readonly gate: DatabaseGate
  readonly reader: DocumentReader
  readonly writer: DocumentWriter
  /** Where query indexes keep their states: beside the persisted index, when this database holds it. */
  readonly indexStates: IndexStateStore | undefined
  /** Gives up the persisted index this database claimed (nothing when it claimed none). */
  readonly release: () => void
}

/**
 * Makes the collaborators of database `name` over `store`, claiming its persisted index when no
 * other open database holds it (without it, the database runs on an index it does not persist).
 */
export function assembleDatabase(
  ctx: DatabaseContext,
  store: ChangeStore,
  name: DbName,
  options: DatabaseOptions,
  events: Emitter<DatabaseEvents>,
): DatabaseParts {
  const origin = (): Origin => ({ tenant: ctx.tenantId, db: name })
  const docs = new AttachmentDocs(() => attachments)
  const gate: DatabaseGate = new DatabaseGate({ name, events, settle: () => residency.settle() })
  const settings = new DatabaseSettings(name, options)
  const materialiser = new Materialiser(name, store, ctx.keyBag, ctx.trust, docs, {
    docs: settings.cacheSize,
    between: () => residency.trim(),
  })
  const attachments = new Attachments({
    store,
    keyBag: ctx.keyBag,
    signer: ctx.signer,
    origin: origin(),
    defaultKeyId: () => settings.keyId,
    noteChunks: (hashes) => materialiser.noteChunks(hashes),
  })
  const claimed = ctx.index && claimIndex(ctx.index.kv, ctx.index.prefix)
  const indexStates = claimed && ctx.index ? new IndexStateStore(ctx.index) : undefined
  const index = new DocIndex(claimed ? ctx.index : undefined, origin())
  docs.attach(index)
  const keeper = new IndexKeeper(index, store, docs, materialiser, () => ctx.trust.fingerprint())
  const residency: Residency = new Residency({
    lock: gate.lock,
    docs,
    materialiser,
    keeper,
    settings,
    closed: () => gate.closed,
    onError: (error) => events.emit('error', { error }),
  })
  const reader = new DocumentReader({
    ctx,
    store,
    name,
    docs,
    materialiser,
    keeper,
    residency,
    run: (fn) => gate.run(fn),
  })
  const writer = new DocumentWriter({
    ctx,
    store,
    name,
    origin: origin(),
    settings,
    docs,
    materialiser,
    attachments,
    residency,
  })
  const release = claimed || ((): void => undefined)
  return { settings, docs, attachments, materialiser, keeper, residency, gate, reader, writer, indexStates, release }
}
