import * as A from '@automerge/automerge'
import { isOneUncompressedChange, readChangeHeader, type ChangeHeader } from './changeHeader.ts'
import { freshActor } from './freshActor.ts'

/** How to hand a document's changes to Automerge: in which calls, and which to hold back. */
export interface ApplyPlan {
  /** The `Automerge.applyChanges` calls to make, in order. */
  readonly calls: Uint8Array[][]
  /** Valid changes whose dependencies neither the document nor the batch holds: held until they arrive. */
  readonly waiting: ChangeHeader[]
}

interface Node {
  readonly header: ChangeHeader
  readonly children: Node[]
  /** Held back by an earlier plan, which found it a valid change. */
  readonly wasHeld: boolean
  missing: number
  done: boolean
}

/**
 * Plans the `Automerge.applyChanges` calls that bring `changes` (and the ones held back earlier)
 * into a document so that its JavaScript view stays equal to its history.
 *
 * Automerge 3.5.0 computes the view of one call from the state before and after the whole call, and
 * gets it wrong when a call holds concurrent changes (docs/architecture.md): a key whose winning
 * value is deleted while a concurrent value with a lower op id survives keeps showing the deleted
 * value. No call here holds two concurrent changes unless the document is empty (a first load, where
 * there is no earlier value to keep): each call is a causal chain, every change after the first
 * naming the one before it as a dependency (one author's successive changes, the common case, are one
 * call). A change whose dependencies are missing is never handed to Automerge, which would queue it
 * and apply it later in one call with whatever releases it; it waits in the plan's `waiting`.
 *
 * `held` are changes held back by an earlier plan (each decoded once, when it was first held back,
 * and not again); `inDoc` tells whether the document has a change. Bytes that are not a change come
 * first, in a call of their own: Automerge refuses that call.
 */
export function planApply(
  held: readonly ChangeHeader[],
  changes: readonly Uint8Array[],
  doc: A.Doc<unknown>,
): ApplyPlan {
  const unreadable: Uint8Array[] = []
  const byHash = new Map<string, Node>()
  const nodes: Node[] = []
  const add = (header: ChangeHeader, wasHeld: boolean) => {
    if (byHash.has(header.hash)) return
    const node: Node = { header, children: [], missing: 0, done: false, wasHeld }
    byHash.set(header.hash, node)
    nodes.push(node)
  }
  for (const h of held) add(h, true)
  for (const bytes of changes) {
    const header = readChangeHeader(bytes)
    if (header) add(header, false)
    else unreadable.push(bytes)
  }
  // Most dependencies outside the batch are the document's heads; others are looked up (it costs more).
  const heads = A.getHeads(doc)
  const inDoc = new Map<string, boolean>(heads.map((h) => [h, true]))
  const has = (hash: string) => {
    let v = inDoc.get(hash)
    if (v === undefined) inDoc.set(hash, (v = A.hasHeads(doc, [hash])))
    return v
  }
  for (const node of nodes)
    for (const dep of node.header.deps) {
      const parent = byHash.get(dep)
      if (parent) {
        parent.children.push(node)
        node.missing++
      } else if (!has(dep)) node.missing = Infinity
    }

  const empty = heads.length === 0
  const calls: Uint8Array[][] = unreadable.length ? [unreadable] : []
  const queue = nodes.filter((n) => n.missing === 0)
  let next: Node | undefined
  let run: Uint8Array[] | undefined
  for (let qi = 0; ;) {
    let node = next
    next = undefined
    if (!node) {
      while (qi < queue.length && queue[qi]!.done) qi++
      node = queue[qi++]
      if (!node) break
      if (!empty) run = undefined
    }
    node.done = true
    if (!run) calls.push((run = []))
    run.push(node.header.bytes)
    for (const child of node.children) {
      if (--child.missing !== 0) continue
      if (next) queue.push(child)
      else next = child
    }
  }

  const waiting: ChangeHeader[] = []
  const invalid: Uint8Array[] = []
  for (const node of nodes) {
    if (node.done) continue
    if (node.wasHeld || isChange(node.header.bytes)) waiting.push(node.header)
    else invalid.push(node.header.bytes)
  }
  if (invalid.length) calls.unshift(invalid)
  return { calls, waiting }
}

/**
 * A new document made by one `Automerge.load` of `changes` one after another, when each is exactly
 * one uncompressed change chunk and every dependency is among them; undefined otherwise (`load`
 * refuses a change whose dependencies are missing, and then nothing was made). About twice as fast
 * as `init` and `applyChanges`, which also work out the view change by change, and it needs no
 * plan: `load` orders the changes itself. Only change chunks reach `load`, which would also take
 * a whole document.
 */
export function loadChanges<T>(changes: readonly Uint8Array[]): A.Doc<T> | undefined {
  if (changes.length === 0 || !changes.every(isOneUncompressedChange)) return undefined
  try {
    return A.load<T>(joined(changes), { actor: freshActor() })
  } catch {
    return undefined
  }
}

/**
 * For a plan that brings an empty document everything it holds back nothing of, the bytes whose
 * `Automerge.load` makes the document the plan's calls would (see {@link loadChanges}). Undefined
 * otherwise, and when any change is not exactly one uncompressed change chunk. The bytes are valid
 * until the next call: hand them to `load` at once.
 */
export function wholeLoad(plan: ApplyPlan, doc: A.Doc<unknown>): Uint8Array | undefined {
  if (plan.waiting.length || plan.calls.length !== 1 || A.getHeads(doc).length) return undefined
  const call = plan.calls[0]!
  return call.every(isOneUncompressedChange) ? joined(call) : undefined
}

/** `changes` one after another, in a buffer every call reuses: valid until the next call. */
function joined(changes: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const change of changes) length += change.length
  if (loadScratch.length < length) loadScratch = new Uint8Array(Math.max(length, 2 * loadScratch.length))
  let offset = 0
  for (const change of changes) {
    loadScratch.set(change, offset)
    offset += change.length
  }
  return loadScratch.subarray(0, length)
}

/**
 * What {@link joined} returns is written here: `Automerge.load` copies its input into its own
 * memory, and a fresh array per document added to the garbage of a sync.
 */
let loadScratch = new Uint8Array(4096)

/** Whether bytes decode as an Automerge change (checked only for changes held back: it costs). */
function isChange(bytes: Uint8Array): boolean {
  try {
    A.decodeChange(bytes)
    return true
  } catch {
    return false
  }
}
