import type { EntryEnvelope } from '../../entries/index.ts'
import type { AppendResult } from '../ChangeStore.ts'
import { MemoryChangeStore } from '../MemoryChangeStore.ts'

/** A memory store that records the bytes of every `appendMany` it is given, for tests of batching. */
export class AppendRecorder extends MemoryChangeStore {
  /** The bytes of each append's entries, in the order the appends were called. */
  readonly appends: number[] = []

  override async appendMany(entries: Iterable<EntryEnvelope>): Promise<AppendResult> {
    const list = [...entries]
    this.appends.push(list.reduce((n, e) => n + e.bytes.length, 0))
    return super.appendMany(list)
  }
}
