import * as A from '@automerge/automerge'
import type { ChangeHash, DocId, KeyId, Origin } from '../types.ts'

/** Plain data of a document: an Automerge root map. */
export type DocData = Record<string, any>

/**
 * Everything a database knows about one document: metadata from its entries' headers, the entry
 * DAG heads, and the materialised Automerge document once any entry could be read.
 */
export class DocState {
  readonly id: DocId
  origin: Origin | undefined
  /** The key id its entries name (for display; a writer's local name for the key). */
  keyId: KeyId | undefined
  /** Our local name of the key that opens this document: new entries are written under it. */
  writeKey: KeyId | undefined
  am: A.Doc<DocData> | null = null
  deleted = false
  /** Entries applied to `am` (or covered by the snapshot it was loaded from). */
  readonly applied = new Set<ChangeHash>()
  /** Entries named as a dep by some applied entry. */
  readonly referenced = new Set<ChangeHash>()
  /** Applied entries nothing applied follows yet; the deps of the next local entry. */
  heads = new Set<ChangeHash>()
  changesSinceSnapshot = 0
  /** Entries of this document held back, by reason code. */
  readonly pending = new Map<ChangeHash, string>()

  constructor(id: DocId) {
    this.id = id
  }

  /** Records an applied entry in the DAG. Order-independent: a late parent never becomes a head. */
  noteApplied(hash: ChangeHash, deps: readonly ChangeHash[]): void {
    this.applied.add(hash)
    this.pending.delete(hash)
    for (const d of deps) {
      this.referenced.add(d)
      this.heads.delete(d)
    }
    if (!this.referenced.has(hash)) this.heads.add(hash)
  }

  /** Marks everything a snapshot covers as applied; its deps were the heads when it was written. */
  noteSnapshot(covers: readonly ChangeHash[], heads: readonly ChangeHash[], refs: readonly ChangeHash[] = []): void {
    const held = this.pending.size > 0
    for (const h of covers) {
      this.applied.add(h)
      if (held) this.pending.delete(h)
    }
    for (const h of refs) this.referenced.add(h)
    this.heads = new Set(heads.filter((h) => !this.referenced.has(h)))
  }

  /** Entries that applied entries follow but that are not applied: what a snapshot must remember. */
  unappliedRefs(): ChangeHash[] {
    return [...this.referenced].filter((h) => !this.applied.has(h))
  }

  /** Entries some applied entry follows but that this database does not hold or hold back: gaps. */
  missing(): ChangeHash[] {
    return [...this.referenced].filter((h) => !this.applied.has(h) && !this.pending.has(h))
  }

  /** Releases the Automerge document's WebAssembly memory. */
  free(): void {
    if (this.am) A.free(this.am)
    this.am = null
  }
}
