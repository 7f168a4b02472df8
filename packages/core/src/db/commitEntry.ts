import type { SigningKeyPair } from '../crypto/index.ts'
import { createEntry, type ParsedEntry } from '../entries/index.ts'
import type { KeyBag } from '../keys/index.ts'
import type { ChangeStore } from '../store/index.ts'
import type { EntryKind, KeyId, Origin } from '../types.ts'
import type { DocState } from './DocState.ts'

/** What one local entry is made of besides its document's heads. */
export interface CommitInput {
  readonly kind: EntryKind
  readonly payload: Uint8Array
  readonly keyBag: KeyBag
  readonly signer: SigningKeyPair
  /** The key it goes under: the newest version of it encrypts. */
  readonly keyId: KeyId
  readonly origin: Origin
}

/** Encrypts, signs and durably appends one entry following `state`'s heads; throws if the store refuses it. */
export async function commitEntry(store: ChangeStore, state: DocState, input: CommitInput): Promise<ParsedEntry> {
  const key = input.keyBag.current(input.keyId)
  const entry = createEntry({
    kind: input.kind,
    docId: state.id,
    origin: input.origin,
    deps: [...state.heads],
    keyId: input.keyId,
    keyVersion: key.version,
    key: key.key,
    payload: input.payload,
    author: input.signer,
  })
  const result = await store.append(entry)
  if (result.rejected.length) throw result.rejected[0]!.error
  return entry
}
