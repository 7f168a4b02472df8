import { isWeftError } from '@weft/core'
import { encodeBody } from '@weft/protocol'

/** POSTs a raw MessagePack body and returns the status and the decoded JSON error body, if any. */
export async function rawPost(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; error?: { code: string; message: string } }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.weft.v1+msgpack', ...headers },
    body: encodeBody(body) as BodyInit,
  })
  const text = await res.text()
  return res.ok ? { status: res.status } : { status: res.status, error: JSON.parse(text) }
}

/** The WeftError code a promise rejects with (or the error as text); undefined when it resolves. */
export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    return isWeftError(err) ? err.code : String(err)
  }
  return undefined
}
