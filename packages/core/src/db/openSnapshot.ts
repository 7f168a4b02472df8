import * as A from '@automerge/automerge'
import type { ParsedEntry } from '../entries/index.ts'
import { splitSave, type ChangeHeader } from './changeHeader.ts'
import type { DocData } from './DocState.ts'
import { freshActor } from './freshActor.ts'
import { planApply } from './planApply.ts'
import { snapshotPayloadOf } from './snapshotCovers.ts'
import type { SnapshotPayload } from './snapshotPayload.ts'

/** A snapshot opened and loaded: its payload, the document it makes, and changes it holds back. */
export interface OpenedSnapshot {
  readonly snap: SnapshotPayload
  readonly am: A.Doc<DocData>
  /** Changes the writer held back for missing dependencies, held back here too. */
  readonly waiting: ChangeHeader[]
}

/**
 * Decrypts a snapshot entry under `key` and loads its save. Nearly all the time goes to
 * `Automerge.load`, which rebuilds and hashes every change of the saved history (see
 * docs/architecture.md, "What a snapshot load costs"). Throws as decryption, decoding and
 * loading do.
 */
export function openSnapshot(entry: ParsedEntry, key: Uint8Array): OpenedSnapshot {
  const snap = snapshotPayloadOf(entry, key)
  // Changes the writer held back for missing dependencies follow its save.
  const { doc, changes } = splitSave(snap.save)
  let am = A.load<DocData>(doc, { actor: freshActor() })
  const plan = planApply([], changes, am)
  for (const call of plan.calls) [am] = A.applyChanges(am, call)
  return { snap, am, waiting: plan.waiting }
}
