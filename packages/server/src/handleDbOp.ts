import {
  asDocId, checkReconcileMessage, DEFAULT_ENTRY_LIMITS, ErrorCodes, packHashes, parseEntry, processReconcileMessage,
  toBase64Url, toWeftError, unpackHashes, WeftError, type AppendResult, type ChangeHash, type ChangeStore, type Cursor,
  type EntryEnvelope, type HashRange,
} from '@weft/core'
import type { Bodies, DbOp, ProtocolLimits, PushResult } from '@weft/protocol'
import type { Hold } from './MemoryBudget.ts'
import type { MemberRegistry } from './MemberRegistry.ts'
import { readEntriesCapped } from './readEntriesCapped.ts'

/** What a database operation needs besides its body. */
export interface DbOpContext {
  readonly tenant: string
  readonly store: ChangeStore
  /** Stores checked entries in `store` (within the tenant's quota): one result per distinct hash. */
  readonly append: (entries: readonly EntryEnvelope[]) => Promise<AppendResult>
  readonly registry: MemberRegistry
  readonly limits: ProtocolLimits
  readonly authors: 'members' | 'any'
  /**
   * Holds response bytes in the tenant's memory budget until the response is written; throws
   * `WEFT_RATE_LIMITED` when the tenant holds too much already.
   */
  readonly hold: (bytes: number) => Hold
}

/** Arrival positions one `order` request walks at most. */
const ORDER_WALK = 50_000

const HASH = /^[0-9a-f]{64}$/

/** Runs one database operation on a decoded, untrusted body. */
export async function handleDbOp(ctx: DbOpContext, op: DbOp, body: unknown): Promise<unknown> {
  const b = (body ?? {}) as Record<string, unknown>
  const { store } = ctx
  switch (op) {
    case 'push':
      return push(ctx, b.entries)
    case 'has': {
      const hashes = hashList(b.hashes, ctx.limits)
      return { held: await store.has(hashes) } satisfies Bodies['has']['res']
    }
    case 'get': {
      // Each distinct hash once, at most maxResponseBytes of entries, held in the tenant's budget until written.
      const hashes = [...new Set(hashList(b.hashes, ctx.limits))]
      const maxBytes = ctx.limits.maxResponseBytes
      const hold = ctx.hold(Math.min(maxBytes, hashes.length * ctx.limits.maxEntryBytes))
      const got = await readEntriesCapped(store, hashes, { maxBytes, maxEntryBytes: ctx.limits.maxEntryBytes })
      hold.resize(got.bytes)
      const entries = got.entries.map((e) => ({ hash: e.hash, bytes: e.bytes }))
      return (got.taken < hashes.length ? { entries, next: got.taken } : { entries }) satisfies Bodies['get']['res']
    }
    case 'scan': {
      const limit = Math.min(count(b.limit, 1_000), ctx.limits.maxHashesPerRequest)
      return store.scan(cursor(b.since), { limit })
    }
    case 'head':
      return store.head()
    case 'fingerprint':
      return store.fingerprint(range(b.range))
    case 'range': {
      const limit = Math.min(count(b.limit, ctx.limits.maxHashesPerRequest), ctx.limits.maxHashesPerRequest)
      return { hashes: packHashes(await store.hashesInRange(range(b.range), { limit })) } satisfies Bodies['range']['res']
    }
    case 'reconcile': {
      const step = await processReconcileMessage(store, checkReconcileMessage(b.message), { role: 'responder' })
      return { message: step.message! } satisfies Bodies['reconcile']['res']
    }
    case 'order': {
      // Arrival order of a few hashes: a bounded walk of the store's arrival index from `since`,
      // ending early once every hash is found; the client passes the cursor back until done.
      const wanted = new Set<string>(hashList(b.hashes, ctx.limits))
      const found: ChangeHash[] = []
      let at = cursor(b.since)
      for (let walked = 0; ; ) {
        const page = await store.scan(at, { limit: Math.min(ctx.limits.maxHashesPerRequest, ORDER_WALK - walked) })
        if (page.reset) found.length = 0
        for (const e of page.entries) if (wanted.has(e.hash)) found.push(e.hash)
        walked += page.entries.length
        at = page.cursor
        const done = page.done || found.length === wanted.size
        if (done || walked >= ORDER_WALK) return { hashes: packHashes(found), cursor: at, done } satisfies Bodies['order']['res']
      }
    }
    case 'doc-hashes': {
      if (typeof b.docId !== 'string' || !/^[0-9a-f]{32}$/.test(b.docId)) throw bad('docId must be 32 hex characters')
      return { hashes: packHashes(await store.getAllChangeHashesForDoc(asDocId(b.docId))) }
    }
  }
}

/**
 * Stores pushed entries one by one: each must be well formed, within the entry size limit, and
 * signed by a current member of the tenant; then the tenant's quota decides which new ones fit and
 * the store checks their hash and signature. A bad entry is reported in its own result and never
 * blocks the rest.
 */
async function push(ctx: DbOpContext, raw: unknown): Promise<Bodies['push']['res']> {
  if (!Array.isArray(raw)) throw bad('entries must be a list')
  if (raw.length > ctx.limits.maxEntriesPerRequest) {
    throw new WeftError(ErrorCodes.TOO_MANY_ENTRIES, `${raw.length} entries in one push; the limit is ${ctx.limits.maxEntriesPerRequest}`)
  }
  const results: (PushResult | undefined)[] = new Array(raw.length)
  const accepted: EntryEnvelope[] = []
  const index = new Map<string, number>()
  const limits = { ...DEFAULT_ENTRY_LIMITS, maxEntryBytes: ctx.limits.maxEntryBytes }
  const standing = new Map<string, string>()
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i] as { hash?: unknown; bytes?: unknown }
    const hash = typeof e?.hash === 'string' ? e.hash : ''
    try {
      if (!HASH.test(hash) || !(e.bytes instanceof Uint8Array)) throw new WeftError(ErrorCodes.MALFORMED_ENTRY, 'an entry is { hash, bytes }')
      const parsed = parseEntry(hash as ChangeHash, e.bytes, limits)
      const author = toBase64Url(parsed.header.author)
      let s = ctx.authors === 'any' ? 'member' : standing.get(author)
      if (!s) standing.set(author, (s = await ctx.registry.standing(ctx.tenant, author)))
      if (s !== 'member' && s !== 'author') throw new WeftError(ErrorCodes.UNTRUSTED_SIGNER, `the entry's author is not a registered member of this tenant (${s})`)
      if (index.has(hash)) continue // a later copy of the same hash: it gets the first copy's outcome
      index.set(hash, i)
      accepted.push({ hash: hash as ChangeHash, bytes: e.bytes })
    } catch (err) {
      const w = toWeftError(err, ErrorCodes.MALFORMED_ENTRY)
      results[i] = { hash, status: 'rejected', code: w.code, message: w.message }
    }
  }
  if (accepted.length) {
    const r = await ctx.append(accepted)
    for (const h of r.added) results[index.get(h)!] = { hash: h, status: 'added' }
    for (const h of r.existing) results[index.get(h)!] ??= { hash: h, status: 'existing' }
    for (const { hash, error } of r.rejected) results[index.get(hash)!] = { hash, status: 'rejected', code: error.code, message: error.message }
  }
  // A hash given twice in one push: a later copy is `existing` if the first was stored, refused like it otherwise.
  return {
    results: Array.from(results, (r, i) => {
      if (r) return r
      const hash = String((raw[i] as { hash?: unknown })?.hash)
      const first = results[index.get(hash) ?? -1]
      return first?.status === 'rejected' ? { ...first } : { hash, status: 'existing' }
    }),
  }
}

function hashList(raw: unknown, limits: ProtocolLimits): ChangeHash[] {
  if (!(raw instanceof Uint8Array) || raw.length % 32 !== 0) throw bad('hashes must be concatenated 32-byte values')
  if (raw.length / 32 > limits.maxHashesPerRequest) {
    throw new WeftError(ErrorCodes.TOO_MANY_ENTRIES, `${raw.length / 32} hashes in one request; the limit is ${limits.maxHashesPerRequest}`)
  }
  return unpackHashes(raw)
}

function cursor(raw: unknown): Cursor | null {
  if (raw === null || raw === undefined) return null
  const c = raw as Cursor
  if (typeof c.epoch !== 'string' || c.epoch.length > 128 || !Number.isSafeInteger(c.seq) || c.seq < 0) throw bad('bad cursor')
  return { epoch: c.epoch, seq: c.seq }
}

function range(raw: unknown): HashRange {
  const r = raw as HashRange
  const ok = (s: unknown) => typeof s === 'string' && s.length <= 64 && /^[0-9a-f]*$/.test(s)
  if (!r || !ok(r.lower) || !(r.upper === null || ok(r.upper))) throw bad('bad hash range')
  return { lower: r.lower, upper: r.upper }
}

function count(raw: unknown, fallback: number): number {
  return Number.isSafeInteger(raw) && (raw as number) > 0 ? (raw as number) : fallback
}

const bad = (message: string) => new WeftError(ErrorCodes.PROTOCOL, message)
