/** Byte-level codecs: canonical binary fields, MessagePack values, hex and base64url text. */
export { ByteWriter } from './ByteWriter.ts'
export { ByteReader, CodecError, strictUtf8 } from './ByteReader.ts'
export { RecentText } from './RecentText.ts'
export type { CodecFailure } from './ByteReader.ts'
export { packValue, unpackValue } from './msgpack.ts'
export { canonicalTextProblem } from './canonicalText.ts'
export {
  toHex,
  fromHex,
  fromHexInto,
  nibble,
  toBase64Url,
  fromBase64Url,
  bytesEqual,
  concatBytes,
  utf8,
} from './text.ts'
