/** Size and count limits for untrusted entries, checked before anything is allocated. */
export interface EntryLimits {
  /** Largest encoded entry accepted, in bytes. */
  readonly maxEntryBytes: number
  /** Most `deps` an entry may name. */
  readonly maxDeps: number
}

export const DEFAULT_ENTRY_LIMITS: EntryLimits = {
  maxEntryBytes: 16 * 1024 * 1024,
  maxDeps: 1024,
}

/** Field limits fixed by format version 1. */
export const FIELD_LIMITS = {
  tenantBytes: 512,
  dbBytes: 128,
  keyIdBytes: 64,
} as const
