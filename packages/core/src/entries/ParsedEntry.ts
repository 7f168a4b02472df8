import type { ChangeHash } from '../types.ts'
import type { EntryHeader } from './header.ts'

/** A change entry as it travels and is stored: its content address and its exact bytes. */
export interface EntryEnvelope {
  readonly hash: ChangeHash
  readonly bytes: Uint8Array
}

/** An entry whose structure was parsed. Views point into `bytes`; nothing is copied. */
export interface ParsedEntry extends EntryEnvelope {
  readonly header: EntryHeader
  /** The canonical header bytes: signed, and the AEAD associated data. */
  readonly headerBytes: Uint8Array
  readonly ciphertext: Uint8Array
  readonly signature: Uint8Array
}
