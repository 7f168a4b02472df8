/** Encrypted attachments: content-defined chunks stored as signed, encrypted `chunk` entries. */
export {
  Attachments,
  AttachmentDocs,
  attachmentsOf,
  recordsOf,
  recordFieldOf,
  ATTACHMENT_FIELD_PREFIX,
} from './Attachments.ts'
export type {
  AttachmentInfo,
  AttachmentOptions,
  AttachmentSync,
  AttachmentUpload,
  AttachmentsContext,
} from './Attachments.ts'
export type { AttachmentData } from './AttachmentSource.ts'
export { encodeAttachmentRecord, parseAttachmentRecord, MAX_CHUNKS, MAX_TYPE_BYTES } from './attachmentRecord.ts'
export type { AttachmentRecord, ChunkRef } from './attachmentRecord.ts'
export { FastCdc, chunkLengths, checkChunkSizes, DEFAULT_CHUNK_SIZES, MAX_CHUNK_BYTES } from './fastcdc.ts'
export type { ChunkSizes } from './fastcdc.ts'
export type { ByteRange } from './readChunks.ts'
export { pullWithoutChunks } from './pullWithoutChunks.ts'
