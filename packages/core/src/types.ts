/**
 * Branded identifier types shared by every subsystem. A brand costs nothing at run time and keeps
 * a document id from being passed where a change hash is expected.
 */

declare const brand: unique symbol
type Brand<T, B extends string> = T & { readonly [brand]: B }

/** Content address of a change entry: lowercase hex of BLAKE2b-256 over the exact entry bytes. */
export type ChangeHash = Brand<string, 'ChangeHash'>
/** Random 128-bit document id, lowercase hex. */
export type DocId = Brand<string, 'DocId'>
/** Canonical tenant id (for structured scopes, the isolation key string). */
export type TenantId = Brand<string, 'TenantId'>
/** Name of a symmetric key in a {@link KeyBag}. */
export type KeyId = Brand<string, 'KeyId'>
/** Name of a database inside a tenant. */
export type DbName = Brand<string, 'DbName'>

/** Where a document was created; fixed for its whole life and signed into every entry. */
export interface Origin {
  readonly tenant: TenantId
  readonly db: DbName
}

/** The kinds of change entry. A `chunk` carries an encrypted piece of an attachment (see db/attachments). */
export type EntryKind = 'create' | 'change' | 'delete' | 'snapshot' | 'chunk'

/**
 * A position in a store's local arrival order. `seq` is the order number of the last entry
 * covered; `epoch` names the store's history, and a different epoch means "start over".
 */
export interface Cursor {
  readonly epoch: string
  readonly seq: number
  /**
   * Check of the position: the first hex characters of the hash of the entry at `seq` (absent at
   * seq 0 and in cursors made before it existed). A store whose entry at `seq` differs (say, it
   * was restored from an older copy and took other entries since) starts the cursor over.
   */
  readonly at?: string
}

export const asChangeHash = (s: string): ChangeHash => s as ChangeHash
export const asDocId = (s: string): DocId => s as DocId
export const asTenantId = (s: string): TenantId => s as TenantId
export const asKeyId = (s: string): KeyId => s as KeyId
export const asDbName = (s: string): DbName => s as DbName

/** Compares two origins by value. */
export function sameOrigin(a: Origin, b: Origin): boolean {
  return a.tenant === b.tenant && a.db === b.db
}
