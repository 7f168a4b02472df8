/**
 * @packageDocumentation
 * `@weft/core/backend`: what a storage backend needs and an application does not — the
 * `BaseChangeStore` template (a backend implements only its underscore methods; the base class
 * verifies every entry first), the store and record-store contracts, the range-fingerprint index
 * helpers, entry parsing and verification, and the byte codecs. Backends (`@weft/store-level`,
 * `@weft/store-idb`, `@weft/client`'s remote store) and the server import from here.
 *
 * For now every name here is also exported by `@weft/core`; once the packages import their
 * internals from this entry, the application entry drops them.
 */
export {
  BaseChangeStore,
  MemoryChangeStore,
  MemoryKeyValueStore,
  MemoryStoreFactory,
  addToIndex,
  encodeSum,
  positionCheck,
  verifyEntry,
  parseEntry,
  packValue,
  unpackValue,
  toBase64Url,
  fromBase64Url,
  toHex,
  fromHex,
  utf8,
  bytesEqual,
  ByteWriter,
  asChangeHash,
  isChangeHash,
  isDocId,
  isDbName,
  ErrorCodes,
  WeftError,
  isWeftError,
  toWeftError,
  ready,
} from './index.ts'
export type {
  ChangeStore,
  KeyValueStore,
  StoreFactory,
  StoreOptions,
  AppendResult,
  RejectedEntry,
  ScanItem,
  ScanPage,
  StoreHead,
  HashRange,
  RangeFingerprint,
  FingerprintSum,
  AppendListener,
  CheckedRead,
  VerifiedEntry,
  EntryEnvelope,
  ParsedEntry,
  EntryKind,
  ChangeHash,
  DocId,
  Cursor,
} from './index.ts'
