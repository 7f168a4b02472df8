import * as A from '@automerge/automerge'
import { concatBytes } from '../codec/index.ts'
import type { ParsedEntry } from '../entries/index.ts'
import type { DocState, DocData } from './DocState.ts'
import { freshActor } from './freshActor.ts'
import { loadChanges, planApply, wholeLoad } from './planApply.ts'

/** A decrypted entry and the Automerge changes it carries. */
export interface DecodedEntry {
  readonly entry: ParsedEntry
  readonly changes: Uint8Array[]
}

/** The save a document was just loaded from, and the document that load made. */
export interface LoadedFromSave {
  readonly save: Uint8Array
  readonly am: A.Doc<DocData>
}

/** Automerge calls a snapshot's tail may take before loading the save again with the tail is cheaper. */
const TAIL_CALLS = 4

/** The empty document fresh documents are planned against; nothing changes it. */
let empty: A.Doc<DocData> | undefined
const emptyDoc = (): A.Doc<DocData> => (empty ??= A.init<DocData>())

/**
 * Applies decrypted entries' changes to a document in as few Automerge calls as keep its view true
 * (see {@link planApply}): one call for one author's changes. Sets `state.am` and `state.waiting`.
 * When the batch as a whole does not apply, each entry is applied alone: those that fail are
 * removed from `decoded` and returned with their errors (the rest stay applied).
 */
export function applyDecoded(
  state: DocState,
  decoded: DecodedEntry[],
  fromSave: LoadedFromSave | undefined,
): { entry: ParsedEntry; error: unknown }[] {
  const bad: { entry: ParsedEntry; error: unknown }[] = []
  // A document not held yet is loaded in one go when it can be (see `loadChanges`); if not, it is
  // planned against one shared empty document, never changed, and gets a document of its own
  // only when the plan applies something.
  const EMPTY = emptyDoc()
  let am = state.am ?? EMPTY
  // Each call of the plan is one Automerge call; `am` is always the newest document, also when one throws.
  const apply = (changes: readonly Uint8Array[]) => {
    const loaded = am === EMPTY && state.waiting.length === 0 ? loadChanges<DocData>(changes) : undefined
    if (loaded) {
      am = loaded
      return
    }
    const plan = planApply(state.waiting, changes, am)
    const whole = wholeLoad(plan, am)
    if (whole) am = A.load<DocData>(whole, { actor: freshActor() })
    else {
      if (am === EMPTY && plan.calls.length) am = A.init<DocData>(freshActor())
      for (const call of plan.calls) [am] = A.applyChanges(am, call)
    }
    state.waiting = plan.waiting
  }
  const changes = decoded.flatMap((d) => d.changes)
  try {
    if (fromSave?.am === am && state.waiting.length === 0) {
      // A document just loaded from a snapshot takes a tail of a few chains as any document
      // does. A tail of many (concurrent writers) costs an Automerge call each, each about a
      // tenth of a load on a long history: it is taken in one load of the save and the changes.
      const plan = planApply([], changes, am)
      const loaded = plan.calls.length > TAIL_CALLS ? loadWithTail(fromSave.save, changes) : undefined
      if (loaded) am = loaded
      else {
        for (const call of plan.calls) [am] = A.applyChanges(am, call)
        state.waiting = plan.waiting
      }
    } else apply(changes)
  } catch {
    // One malformed change inside a validly signed entry: apply entry by entry, refuse the bad one.
    for (const d of [...decoded]) {
      try {
        apply(d.changes)
      } catch (error) {
        decoded.splice(decoded.indexOf(d), 1)
        bad.push({ entry: d.entry, error })
      }
    }
  }
  state.am = am === EMPTY ? A.init<DocData>(freshActor()) : am
  return bad
}

/**
 * The document a save and changes after it make, loaded in one go; undefined when that fails or
 * leaves a change waiting for a missing dependency (Automerge would queue it: see `planApply`).
 */
function loadWithTail(save: Uint8Array, changes: readonly Uint8Array[]): A.Doc<DocData> | undefined {
  let doc: A.Doc<DocData>
  try {
    doc = A.load<DocData>(concatBytes(save, ...changes), { actor: freshActor() })
  } catch {
    return undefined
  }
  if (A.getMissingDeps(doc, A.getHeads(doc)).length === 0) return doc
  A.free(doc)
  return undefined
}
