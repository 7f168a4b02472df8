import { createHash, type Hash } from 'node:crypto'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { once } from 'node:events'
import { packValue, unpackValue } from '@weft/core/backend'
import { CliError } from './failure.ts'

/** The first bytes of a backup file. */
const MAGIC = Buffer.from('WEFTBK1\n')
/** Largest frame a reader accepts. */
export const MAX_FRAME = 64 * 1024 * 1024

/** One frame of a backup file. */
export type BackupFrame =
  | { t: 'head'; tenant: string; createdAt: number; entries: number }
  | { t: 'entries'; store: string; items: [string, Uint8Array][] }
  | { t: 'kv'; name: string; items: [string, Uint8Array][] }
  | { t: 'end'; entries: number; records: number; digest: string }

/**
 * Writes a backup: `WEFTBK1\n`, then frames (a 4-byte big-endian length and a MessagePack value).
 * The last frame carries a BLAKE2b-512 digest of every frame before it, so a cut or changed file is
 * refused on restore.
 */
export class BackupWriter {
  readonly #stream: WriteStream
  readonly #hash: Hash = createHash('blake2b512')

  constructor(path: string) {
    this.#stream = createWriteStream(path, { flags: 'wx' })
  }

  async open(): Promise<void> {
    await Promise.race([once(this.#stream, 'open'), once(this.#stream, 'error').then(([e]) => Promise.reject(e))])
    await this.#write(MAGIC)
  }

  async frame(frame: Exclude<BackupFrame, { t: 'end' }>): Promise<void> {
    const body = packValue(frame)
    const len = Buffer.alloc(4)
    len.writeUInt32BE(body.length)
    this.#hash.update(len).update(body)
    await this.#write(len)
    await this.#write(body)
  }

  async finish(counts: { entries: number; records: number }): Promise<void> {
    const body = packValue({ t: 'end', ...counts, digest: this.#hash.digest('hex') })
    const len = Buffer.alloc(4)
    len.writeUInt32BE(body.length)
    await this.#write(len)
    await this.#write(body)
    this.#stream.end()
    await once(this.#stream, 'close')
  }

  async #write(bytes: Uint8Array): Promise<void> {
    if (!this.#stream.write(bytes)) await once(this.#stream, 'drain')
  }
}

/** Reads a backup's frames in order, checking the digest at the end; throws `WEFT_CLI_BAD_BACKUP`. */
export async function* readBackup(path: string): AsyncGenerator<BackupFrame> {
  const bad = (why: string) =>
    new CliError(
      'WEFT_CLI_BAD_BACKUP',
      `${path} is not a complete Weft backup: ${why}`,
      'use another copy of the backup',
      1,
    )
  const hash = createHash('blake2b512')
  let buffer = Buffer.alloc(0)
  let magicSeen = false
  let ended = false
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    buffer = Buffer.concat([buffer, chunk as Buffer])
    if (!magicSeen) {
      if (buffer.length < MAGIC.length) continue
      if (!buffer.subarray(0, MAGIC.length).equals(MAGIC)) throw bad('it does not start like one')
      buffer = buffer.subarray(MAGIC.length)
      magicSeen = true
    }
    while (buffer.length >= 4) {
      const len = buffer.readUInt32BE(0)
      if (len > MAX_FRAME) throw bad(`a frame of ${len} bytes`)
      if (buffer.length < 4 + len) break
      const body = buffer.subarray(4, 4 + len)
      let frame: BackupFrame
      try {
        frame = unpackValue<BackupFrame>(body, MAX_FRAME)
      } catch {
        throw bad('a frame does not decode')
      }
      if (ended) throw bad('data after the end')
      if (frame?.t === 'end') {
        if (frame.digest !== hash.digest('hex')) throw bad('its digest does not match (cut or changed)')
        ended = true
      } else hash.update(buffer.subarray(0, 4 + len))
      buffer = buffer.subarray(4 + len)
      yield frame
    }
  }
  if (!magicSeen) throw bad('it is empty')
  if (!ended || buffer.length) throw bad('it ends early')
}
