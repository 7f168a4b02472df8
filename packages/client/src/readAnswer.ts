import { ErrorCodes, WeftError } from '@weft/core/backend'

/**
 * Reads a response body, refusing (`WEFT_PAYLOAD_TOO_LARGE`) one that declares or streams more
 * than `maxBytes`, before holding more than that: a server is not trusted with the client's memory.
 */
export async function readAnswer(res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN)
  const tooLarge = () => new WeftError(ErrorCodes.PAYLOAD_TOO_LARGE, `the server's answer is over ${maxBytes} bytes`)
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => {})
    throw tooLarge()
  }
  if (!res.body) return new Uint8Array(await res.arrayBuffer())
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}
