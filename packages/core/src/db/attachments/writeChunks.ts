import { throwIfAborted } from '../../abort.ts'
import { concatBytes, toHex } from '../../codec/index.ts'
import type { ParsedEntry } from '../../entries/index.ts'
import { ErrorCodes, WeftError } from '../../errors.ts'
import type { ChangeStore } from '../../store/index.ts'
import type { ChangeHash } from '../../types.ts'
import { piecesOf, type AttachmentData } from './AttachmentSource.ts'
import type { AttachmentRecord, ChunkRef } from './attachmentRecord.ts'
import { MAX_CHUNKS } from './attachmentRecord.ts'
import { chunkTag, createChunkEntry, createChunkEntryAsync, type ChunkWriteContext } from './chunkEntry.ts'
import { chunkLengths, FastCdc, type ChunkSizes } from './fastcdc.ts'

/** Input bytes scanned per step, so one huge `Uint8Array` is never copied whole. */
const SLICE_BYTES = 1024 * 1024
/** Encrypted chunks appended per store call. */
const BATCH_BYTES = 1024 * 1024

/** How {@link writeChunks} finds chunks already stored and where it puts new ones. */
export interface ChunkSink {
  /** A chunk this writer stored with this plaintext tag, if it knows one. */
  known(tag: Uint8Array): ChangeHash | undefined
  /** A stored chunk a record names by this tag, to check with {@link ChunkSink.holds} before reuse. */
  named(tag: Uint8Array): ChangeHash | undefined
  /** True when the stored chunk `hash` holds exactly `plaintext`. */
  holds(hash: ChangeHash, plaintext: Uint8Array): Promise<boolean>
  /** Remembers a chunk now stored. */
  remember(tag: Uint8Array, hash: ChangeHash): void
  /** Durably appends chunk entries; throws the first refusal. */
  append(entries: ParsedEntry[]): Promise<void>
}

/** Appends to a store, failing on the first refusal (a quota, a full disk). */
export function storeSink(
  store: ChangeStore,
  known: Pick<ChunkSink, 'known' | 'remember' | 'named' | 'holds'>,
  beforeAppend: (hashes: ChangeHash[]) => void = () => undefined,
): ChunkSink {
  return {
    known: (tag) => known.known(tag),
    named: (tag) => known.named(tag),
    holds: (hash, plaintext) => known.holds(hash, plaintext),
    remember: (tag, hash) => known.remember(tag, hash),
    append: async (entries) => {
      beforeAppend(entries.map((e) => e.hash))
      const result = await store.appendMany(entries)
      if (result.rejected.length) throw result.rejected[0]!.error
    },
  }
}

/**
 * Splits `data` into content-defined chunks, encrypts each one it does not find already stored
 * into its own `chunk` entry and appends them in batches of a few MiB, so memory stays bounded by
 * a batch and a chunk whatever the size of the data. Returns the record the document keeps.
 * A write cut short leaves the chunks appended so far in the store; writing the same data again
 * finds them by tag and appends only the rest.
 */
export async function writeChunks(
  ctx: ChunkWriteContext,
  data: AttachmentData,
  sink: ChunkSink,
  options: { type: string; sizes?: ChunkSizes; signal?: AbortSignal },
): Promise<AttachmentRecord> {
  const cdc = new FastCdc(options.sizes)
  const chunks: ChunkSlot[] = []
  /** Chunks of this batch being sealed and signed, by tag. */
  let batch = new Map<string, SealingChunk>()
  /** Slots of this batch waiting for their chunk's hash. */
  let waiting: ChunkSlot[] = []
  let batchBytes = 0
  let size = 0
  let carried: Uint8Array[] = []
  let carriedBytes = 0

  const flush = async (): Promise<void> => {
    const sealing = [...batch.values()]
    const entries = await Promise.all(sealing.map((c) => c.entry))
    if (entries.length) await sink.append(entries)
    const hashes = new Map(sealing.map((c, i) => [c, entries[i]!.hash]))
    for (const [c, hash] of hashes) sink.remember(c.tag, hash)
    for (const slot of waiting) {
      slot.hash = hashes.get(slot.sealing!)
      slot.sealing = undefined // the entry and its bytes go with the batch
    }
    batch = new Map()
    waiting = []
    batchBytes = 0
  }
  /**
   * One chunk. `plaintext` may be a view of the caller's data: its tag is taken and it is sealed
   * in this same turn, and it is copied before the one wait that reads it later.
   */
  const emit = async (plaintext: Uint8Array): Promise<void> => {
    if (chunks.length >= MAX_CHUNKS)
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `an attachment may have at most ${MAX_CHUNKS} chunks`)
    const tag = chunkTag(plaintext, ctx.key.key)
    const tagHex = toHex(tag)
    const sealing = batch.get(tagHex)
    let hash = sealing ? undefined : sink.known(tag)
    const named = hash || sealing ? undefined : sink.named(tag)
    if (named) {
      // The caller's bytes may change while the stored chunk is read: check, and seal, a copy.
      plaintext = new Uint8Array(plaintext) // (not slice(): on a Buffer, a view)
      if (await sink.holds(named, plaintext)) hash = named
    }
    const slot: ChunkSlot = { hash, length: plaintext.length, tag, sealing }
    if (!hash && !sealing) {
      // Signed off this thread where the platform allows (see createEntryAsync): the chunks of a
      // batch are signed together, on every core. Awaited at the flush; a failure surfaces there.
      const entry = createChunkEntryAsync(ctx, plaintext)
      entry.catch(() => undefined)
      slot.sealing = { tag, entry }
      batch.set(tagHex, slot.sealing)
      batchBytes += plaintext.length
    }
    if (slot.sealing) waiting.push(slot)
    chunks.push(slot)
    size += plaintext.length
    if (batchBytes >= BATCH_BYTES) await flush()
  }

  try {
    for await (const piece of piecesOf(data)) {
      if (!(piece instanceof Uint8Array))
        throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'attachment data must be bytes (Uint8Array pieces)')
      for (let at = 0; at < piece.length; at += SLICE_BYTES) {
        throwIfAborted(options.signal, 'attachment write')
        const slice = piece.subarray(at, at + SLICE_BYTES)
        let pos = 0
        for (const length of cdc.push(slice)) {
          const take = length - carriedBytes
          const rest = slice.subarray(pos, pos + take)
          await emit(carried.length ? concatBytes(...carried, rest) : rest)
          pos += take
          carried = []
          carriedBytes = 0
        }
        if (pos < slice.length) {
          carried.push(new Uint8Array(slice.subarray(pos))) // a copy (slice() on a Buffer is a view)
          carriedBytes += slice.length - pos
        }
      }
    }
  } catch (err) {
    // Keep what was sealed before the failure: writing the same data again finds it by tag.
    await flush().catch(() => undefined)
    throw err
  }
  if (cdc.finish() !== undefined) await emit(concatBytes(...carried))
  await flush()
  return { type: options.type, size, chunks: chunks.map(({ hash, length, tag }) => ({ hash: hash!, length, tag })) }
}

/** A new chunk entry being made: its plaintext tag, and the entry once sealed and signed. */
interface SealingChunk {
  readonly tag: Uint8Array
  readonly entry: Promise<ParsedEntry>
}

/** One chunk of the record: its hash is known once the chunk it names is stored (or found). */
interface ChunkSlot {
  hash: ChangeHash | undefined
  readonly length: number
  readonly tag: Uint8Array
  sealing: SealingChunk | undefined
}

/**
 * {@link writeChunks} for bytes in hand, without waiting: returns the record and the new chunk
 * entries, for the caller to append before the change that records them (`addAttachment` inside
 * `changeDoc`, whose callback is synchronous).
 */
export function sealChunks(
  ctx: ChunkWriteContext,
  data: Uint8Array,
  known: Pick<ChunkSink, 'known'>,
  options: { type: string; sizes?: ChunkSizes },
): { record: AttachmentRecord; entries: ParsedEntry[]; tags: Uint8Array[] } {
  const chunks: ChunkRef[] = []
  const entries: ParsedEntry[] = []
  const tags: Uint8Array[] = []
  const fresh = new Map<string, ChangeHash>()
  let pos = 0
  for (const length of chunkLengths(data, options.sizes)) {
    const plaintext = data.subarray(pos, pos + length)
    pos += length
    const tag = chunkTag(plaintext, ctx.key.key)
    let hash = known.known(tag) ?? fresh.get(toHex(tag))
    if (!hash) {
      const entry = createChunkEntry(ctx, plaintext)
      entries.push(entry)
      tags.push(tag)
      fresh.set(toHex(tag), entry.hash)
      hash = entry.hash
    }
    chunks.push({ hash, length, tag })
  }
  if (chunks.length > MAX_CHUNKS)
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `an attachment may have at most ${MAX_CHUNKS} chunks`)
  return { record: { type: options.type, size: data.length, chunks }, entries, tags }
}
