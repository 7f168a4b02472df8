/**
 * What an attachment is written from: bytes, a `Blob`, a web `ReadableStream`, or any (async)
 * iterable of byte pieces (a Node stream is one).
 */
export type AttachmentData =
  Uint8Array | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array>

/** Walks the pieces of `data`, releasing a stream's reader however the walk ends. */
export async function* piecesOf(data: AttachmentData): AsyncGenerator<Uint8Array> {
  if (data instanceof Uint8Array) {
    yield data
    return
  }
  if (typeof Blob !== 'undefined' && data instanceof Blob) {
    yield* piecesOf(data.stream())
    return
  }
  if (typeof ReadableStream !== 'undefined' && data instanceof ReadableStream) {
    const reader = (data as ReadableStream<Uint8Array>).getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        yield value
      }
    } finally {
      reader.releaseLock()
    }
  } else yield* data as AsyncIterable<Uint8Array> | Iterable<Uint8Array>
}
