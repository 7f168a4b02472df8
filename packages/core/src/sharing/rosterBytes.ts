import { ByteWriter, fromHex } from '../codec/index.ts'
import type { WriterRoster } from './WriterRoster.ts'

/** The canonical bytes a roster's signature covers: every field in a fixed order, lists length-prefixed. */
export function rosterBytes(r: WriterRoster): Uint8Array {
  const w = new ByteWriter(256)
    .string('weft-writer-roster')
    .varint(r.v)
    .string(r.grantId)
    .string(r.source)
    .varint(r.seq)
  w.varint(r.writers.length)
  for (const writer of r.writers) {
    w.string(writer.db).string(writer.tenant).varint(writer.keys.length)
    for (const k of writer.keys) w.string(k)
    if (writer.kept === null) w.u8(0)
    else {
      w.u8(1).varint(writer.kept.length)
      for (const h of writer.kept) w.fixed(fromHex(h))
    }
  }
  return w.finish()
}
