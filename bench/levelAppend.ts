/**
 * The appends the `level` bench group times, each kind in a fresh process of its own. In one
 * process, a kind run before another changed the other's figure (V8 optimises abstract-level's
 * batch for the operations it saw first): while the store still passed `{ sync: false }`, its
 * appends ran twice as fast after a plain level batch as in a process that had made none, and
 * since then they ran about a fifth slower beside the plain runs than alone.
 */
import { fileURLToPath } from 'node:url'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { asDbName, asDocId, asKeyId, asTenantId, ready, type ChangeHash } from '@weft/core'
import { createEntry, type EntryEnvelope, type ParsedEntry } from '@weft/core/backend'
import { LevelStoreFactory } from '@weft/store-level'
import { Level } from 'level'
import { encodeChangePayload, generateKey, generateSigningKeyPair } from './internals.ts'
import { settle, timeMs } from './report.ts'
import { runInChild } from './runInChild.ts'

/** Entries per `appendMany` (and per raw batch). */
export const BATCH = 1_000
export const PAYLOAD_BYTES = 200
const CHILD_FLAG = '--bench-level-append-child'

/**
 * What is appended: entries from the wire (`{ hash, bytes }`, every signature checked) or as
 * `createEntry` returned them (`local`) through `LevelChangeStore.appendMany`; or plain level
 * batch puts of each entry's bytes under its hash (`raw`), or of the three rows the store writes
 * per entry (`raw3`).
 */
export type AppendKind = 'wire' | 'local' | 'raw' | 'raw3'

/** A fresh folder under the OS temp dir for `fn`, removed afterwards. */
export async function inTempDir<T>(fn: (path: string) => Promise<T>): Promise<T> {
  const path = await mkdtemp(join(tmpdir(), 'weft-bench-level-'))
  try {
    return await fn(path)
  } finally {
    await rm(path, { recursive: true, force: true })
  }
}

/**
 * `count` signed, encrypted entries of `PAYLOAD_BYTES` over 100 documents, as `createEntry` returns
 * them; each lists its document's previous entry in `deps`, as every change does.
 */
export function makeEntries(count: number): ParsedEntry[] {
  const author = generateSigningKeyPair()
  const key = generateKey()
  const docIds = Array.from({ length: 100 }, (_, i) => asDocId(i.toString(16).padStart(32, '0')))
  const payload = encodeChangePayload([globalThis.crypto.getRandomValues(new Uint8Array(PAYLOAD_BYTES))])
  const heads = new Map<number, ChangeHash>()
  return Array.from({ length: count }, (_, i) => {
    const doc = i % docIds.length
    const head = heads.get(doc)
    const entry = createEntry({
      kind: 'change',
      docId: docIds[doc]!,
      origin: { tenant: asTenantId('bench'), db: asDbName('level') },
      deps: head ? [head] : [],
      keyId: asKeyId('default'),
      keyVersion: 1,
      key,
      payload,
      author,
    })
    heads.set(doc, entry.hash)
    return entry
  })
}

/** entries/s through `LevelChangeStore.appendMany`, in batches of `BATCH`, into a fresh folder. */
async function storeRun(entries: readonly EntryEnvelope[]): Promise<number> {
  return inTempDir(async (path) => {
    const factory = new LevelStoreFactory({ path })
    const store = await factory.openChangeStore('bench/level')
    const ms = await timeMs(async () => {
      for (let i = 0; i < entries.length; i += BATCH) {
        const r = await store.appendMany(entries.slice(i, i + BATCH))
        if (r.added.length !== Math.min(BATCH, entries.length - i)) throw new Error('bench entries were not all added')
      }
    })
    await factory.close()
    return (entries.length / ms) * 1000
  })
}

/** entries/s for plain `level` batch puts of the same bytes under their hashes, into a fresh folder. */
async function rawRun(entries: readonly EntryEnvelope[]): Promise<number> {
  return inTempDir(async (path) => {
    const db = new Level<string, Uint8Array>(path, { valueEncoding: 'view' })
    await db.open()
    const ms = await timeMs(async () => {
      for (let i = 0; i < entries.length; i += BATCH) {
        await db.batch(entries.slice(i, i + BATCH).map((e) => ({ type: 'put' as const, key: e.hash, value: e.bytes })))
      }
    })
    await db.close()
    return (entries.length / ms) * 1000
  })
}

/**
 * entries/s for plain `level` batch puts of the rows the store writes per entry (entry bytes,
 * arrival row, per-document row), without sublevels, verification or duplicate checks.
 */
async function rawRowsRun(entries: readonly ParsedEntry[]): Promise<number> {
  return inTempDir(async (path) => {
    const db = new Level<string, Uint8Array | string>(path, { valueEncoding: 'view' })
    await db.open()
    let seq = 0
    const ms = await timeMs(async () => {
      for (let i = 0; i < entries.length; i += BATCH) {
        const ops = []
        for (const e of entries.slice(i, i + BATCH)) {
          const n = String(++seq).padStart(16, '0')
          ops.push(
            { type: 'put' as const, key: `!e!${e.hash}`, value: e.bytes },
            {
              type: 'put' as const,
              key: `!a!${n}`,
              value: `${e.hash} ${e.header.docId} ${e.header.kind}`,
              valueEncoding: 'utf8',
            },
            { type: 'put' as const, key: `!d!${e.header.docId}:${n}`, value: e.hash, valueEncoding: 'utf8' },
          )
        }
        await db.batch(ops)
      }
    })
    await db.close()
    return (entries.length / ms) * 1000
  })
}

const RUNS: Record<AppendKind, (entries: readonly ParsedEntry[]) => Promise<number>> = {
  wire: (entries) => storeRun(entries.map((e) => ({ hash: e.hash, bytes: e.bytes.slice() }))),
  local: storeRun,
  raw: rawRun,
  raw3: rawRowsRun,
}

/**
 * entries/s of one `kind` of append of `count` fresh entries, in a fresh Node process, after the
 * same run once there as a warm-up.
 */
export function appendRateInChild(kind: AppendKind, count: number): Promise<number> {
  return runInChild<number>(fileURLToPath(import.meta.url), [CHILD_FLAG, kind, String(count)], `level ${kind} append`)
}

async function childMain(kind: AppendKind, count: number): Promise<void> {
  await ready()
  const entries = makeEntries(count)
  await RUNS[kind](entries) // warm-up: the same run, into a folder of its own
  await settle()
  const rate = await RUNS[kind](entries)
  process.send!(rate, () => process.exit(0))
}

// Entry point of a child started by appendRateInChild (this file run directly with CHILD_FLAG).
if (process.argv[2] === CHILD_FLAG) {
  childMain(process.argv[3] as AppendKind, Number(process.argv[4])).catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
