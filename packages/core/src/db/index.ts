/** Databases and documents: materialising signed, encrypted entries into Automerge documents. */
export { Database } from './Database.ts'
export type {
  DatabaseOptions,
  DocumentStatus,
  DocumentInfo,
  SyncReport,
  SyncCallOptions,
  DatabaseEvents,
  CacheStats,
  CacheSize,
} from './databaseTypes.ts'
export type { DatabaseContext } from './DatabaseContext.ts'
export { Document } from './Document.ts'
export type { DocData } from './DocState.ts'
export { ChangeIterator } from './ChangeIterator.ts'
export type { ChangedDocument, IterateOptions } from './ChangeIterator.ts'
export { matchesFilter, whereField, allOf } from './filter.ts'
export { filterFingerprint, withFilterId, canonicalJson, digest as fingerprintDigest } from './filterFingerprint.ts'
export type { DocFilter } from './filter.ts'
export { emptyReport, mergeReports } from './MaterialiseReport.ts'
export type { MaterialiseReport, HeldEntry } from './MaterialiseReport.ts'
export type {
  Condition,
  IndexOpened,
  IndexReport,
  IndexSpec,
  Query,
  QueryHit,
  QueryResult,
  Scalar,
  SearchHit,
  SearchOptions,
  Where,
} from './query/index.ts'
export type { HistoryEntry, PointInHistory } from './history/index.ts'
export {
  chunkLengths,
  FastCdc,
  DEFAULT_CHUNK_SIZES,
  MAX_CHUNK_BYTES,
  ATTACHMENT_FIELD_PREFIX,
} from './attachments/index.ts'
export type {
  AttachmentData,
  AttachmentInfo,
  AttachmentOptions,
  AttachmentSync,
  AttachmentUpload,
  ByteRange,
  ChunkSizes,
} from './attachments/index.ts'
