import {
  DEFAULT_ENTRY_LIMITS,
  ErrorCodes,
  packHashes,
  processReconcileMessage,
  readEntryAuthor,
  toBase64Url,
  toWeftError,
  bytesEqual,
  WeftError,
  type AppendResult,
  type ChangeHash,
  type ChangeStore,
  type EntryEnvelope,
} from '@weft/core/backend'
import type { Bodies, DbRequest, ProtocolLimits, PushItem, PushResult } from '@weft/protocol'
import type { Hold } from './MemoryBudget.ts'
import type { Admission } from './Admission.ts'
import { readEntriesCapped } from './readEntriesCapped.ts'

/** What a database operation needs besides its body. */
export interface DbOpContext {
  readonly tenant: string
  readonly store: ChangeStore
  /** Stores checked entries in `store` (within the tenant's quota): one result per distinct hash. */
  readonly append: (entries: readonly EntryEnvelope[]) => Promise<AppendResult>
  readonly registry: Admission
  readonly limits: ProtocolLimits
  readonly authors: 'members' | 'any'
  /**
   * Holds response bytes in the tenant's memory budget until the response is written; throws
   * `WEFT_RATE_LIMITED` when the tenant holds too much already.
   */
  readonly hold: (bytes: number) => Hold
}

/** Pages of `maxHashesPerRequest` arrival positions one `order` request walks at most (50,000 positions by default). */
const ORDER_PAGES = 5

/** Runs one database operation, its body checked by `parseDbRequest`. */
export async function handleDbOp(ctx: DbOpContext, request: DbRequest): Promise<unknown> {
  const { store } = ctx
  switch (request.op) {
    case 'push':
      return push(ctx, request.entries)
    case 'has': {
      const { hashes } = request
      return { held: await store.has(hashes) } satisfies Bodies['has']['res']
    }
    case 'get': {
      // Each distinct hash once, at most maxResponseBytes of entries, held in the tenant's budget until written.
      const hashes = [...new Set(request.hashes)]
      const maxBytes = ctx.limits.maxResponseBytes
      const hold = ctx.hold(Math.min(maxBytes, hashes.length * ctx.limits.maxEntryBytes))
      const got = await readEntriesCapped(store, hashes, { maxBytes, maxEntryBytes: ctx.limits.maxEntryBytes })
      hold.resize(got.bytes)
      const entries = got.entries.map((e) => ({ hash: e.hash, bytes: e.bytes }))
      return (got.taken < hashes.length ? { entries, next: got.taken } : { entries }) satisfies Bodies['get']['res']
    }
    case 'scan':
      return store.scan(request.since, { limit: request.limit })
    case 'head':
      return store.head()
    case 'fingerprint':
      return store.fingerprint(request.range)
    case 'range':
      return {
        hashes: packHashes(await store.hashesInRange(request.range, { limit: request.limit })),
      } satisfies Bodies['range']['res']
    case 'reconcile': {
      const step = await processReconcileMessage(store, request.message, { role: 'responder' })
      return { message: step.message! } satisfies Bodies['reconcile']['res']
    }
    case 'order': {
      // Arrival order of a few hashes: a bounded walk of the store's arrival index from `since`,
      // ending early once every hash is found; the client passes the cursor back until done.
      const wanted = new Set<string>(request.hashes)
      const found: ChangeHash[] = []
      const seqs: number[] = []
      let at = request.since
      for (let pages = 1; ; pages++) {
        const page = await store.scan(at, { limit: ctx.limits.maxHashesPerRequest })
        if (page.reset) found.length = seqs.length = 0
        for (const e of page.entries)
          if (wanted.has(e.hash)) {
            found.push(e.hash)
            seqs.push(e.seq)
          }
        at = page.cursor
        const done = page.done || found.length === wanted.size
        if (done || pages >= ORDER_PAGES)
          return { hashes: packHashes(found), cursor: at, done, seqs } satisfies Bodies['order']['res']
      }
    }
    case 'doc-hashes':
      return { hashes: packHashes(await store.getAllChangeHashesForDoc(request.docId)) }
  }
}

/**
 * Stores pushed entries one by one: each must be well formed, within the entry size limit, and
 * signed by a current member of the tenant (never by a reader's device: `WEFT_READ_ONLY`); then the tenant's quota decides which new ones fit and
 * the store checks their hash and signature. A bad entry is reported in its own result and never
 * blocks the rest.
 */
async function push(ctx: DbOpContext, raw: readonly PushItem[]): Promise<Bodies['push']['res']> {
  const results: (PushResult | undefined)[] = new Array(raw.length)
  const accepted: EntryEnvelope[] = []
  const index = new Map<string, number>()
  const limits = { ...DEFAULT_ENTRY_LIMITS, maxEntryBytes: ctx.limits.maxEntryBytes }
  const standing = new Map<string, string>()
  let lastKey: Uint8Array | undefined // a batch's entries mostly share their author: encoded once per run
  let lastAuthor = ''
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i]!
    const { hash } = e
    try {
      if ('problem' in e) throw new WeftError(ErrorCodes.MALFORMED_ENTRY, e.problem)
      // Only the author is read here, to refuse what its device may not push; the store checks the rest.
      const key = readEntryAuthor(e.bytes, limits)
      if (!lastKey || !bytesEqual(key, lastKey)) [lastKey, lastAuthor] = [key, toBase64Url(key)]
      const author = lastAuthor
      let s = standing.get(author)
      if (!s) standing.set(author, (s = await ctx.registry.standing(ctx.tenant, author)))
      // A reader's device may read, never write: refused whatever the server's author policy.
      if (s === 'reader')
        throw new WeftError(ErrorCodes.READ_ONLY, "the entry's author is a reader's device in the tenant's directory")
      if (ctx.authors !== 'any' && s !== 'member' && s !== 'author')
        throw new WeftError(
          ErrorCodes.UNTRUSTED_SIGNER,
          `the entry's author is not a registered member of this tenant (${s})`,
        )
      if (index.has(hash)) continue // a later copy of the same hash: it gets the first copy's outcome
      index.set(hash, i)
      accepted.push({ hash: e.hash, bytes: e.bytes })
    } catch (err) {
      const w = toWeftError(err, ErrorCodes.MALFORMED_ENTRY)
      results[i] = { hash, status: 'rejected', code: w.code, message: w.message }
    }
  }
  if (accepted.length) {
    const r = await ctx.append(accepted)
    for (const h of r.added) results[index.get(h)!] = { hash: h, status: 'added' }
    for (const h of r.existing) results[index.get(h)!] ??= { hash: h, status: 'existing' }
    for (const { hash, error } of r.rejected)
      results[index.get(hash)!] = { hash, status: 'rejected', code: error.code, message: error.message }
  }
  // A hash given twice in one push: a later copy is `existing` if the first was stored, refused like it otherwise.
  return {
    results: Array.from(results, (r, i) => {
      if (r) return r
      const { hash } = raw[i]!
      const first = results[index.get(hash) ?? -1]
      return first?.status === 'rejected' ? { ...first } : { hash, status: 'existing' }
    }),
  }
}
