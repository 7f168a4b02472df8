import { ErrorCodes, isWeftError, type ServerSigner, type SigningKeyPair } from '@weft/core/backend'
import { MAX_DIRECTORY_RECORDS_PER_REQUEST, MAX_PRE_AUTH_BODY_BYTES, type Bodies } from '@weft/protocol'
import type { ServerConnection } from './ServerConnection.ts'

/** What a {@link DirectoryHandoff} works with: the connection it posts through, and the key that provides the records. */
export interface DirectoryHandoffParts {
  readonly connection: Pick<ServerConnection, 'tenant' | 'tenantPath' | 'post'>
  readonly key: SigningKeyPair | ServerSigner
}

/**
 * The tenant directory's membership records, handed to the server by a connection: each record
 * goes once (see {@link ServerConnection.syncDirectory}), and all of them again when a sign-in is
 * refused.
 */
export class DirectoryHandoff {
  readonly #p: DirectoryHandoffParts
  /** Directory records this connection handed the server (or found it held), so each goes once. */
  readonly #posted = new Set<string>()

  constructor(parts: DirectoryHandoffParts) {
    this.#p = parts
  }

  /** Whether the key provides directory records (a tenant's `serverSigner()` does). */
  get provided(): boolean {
    return typeof (this.#p.key as ServerSigner).directory === 'function'
  }

  /** {@link ServerConnection.syncDirectory}: hands the server the records not handed yet. */
  async sync(signal?: AbortSignal): Promise<{ added: number; refused: string[] }> {
    const { connection, key } = this.#p
    const source = (key as ServerSigner).directory
    if (typeof source !== 'function') return { added: 0, refused: [] }
    const records = (await source.call(key, connection.tenant)).filter((r) => !this.#posted.has(r))
    let added = 0
    const refused: string[] = []
    for (const batch of batches(records, MAX_PRE_AUTH_BODY_BYTES - 1024, MAX_DIRECTORY_RECORDS_PER_REQUEST)) {
      let res: Bodies['directory']['res']
      try {
        res = await connection.post<Bodies['directory']['res']>(
          `${connection.tenantPath}/directory`,
          { records: batch },
          undefined,
          signal,
        )
      } catch (err) {
        if (!isWeftError(err, ErrorCodes.MEMBER_RECORD_REFUSED)) throw err
        res = { added: 0, held: 0, refused: batch.map((_, index) => ({ index, code: err.code, message: err.message })) }
      }
      added += res.added
      const no = new Set(res.refused.map((r) => r.index))
      batch.forEach((r, i) => (no.has(i) ? refused.push(r) : this.#posted.add(r)))
    }
    return { added, refused }
  }

  /** {@link ServerConnection.syncDirectory}; a server that cannot take records (an older one, a tenant it does not hold) still gets the sign-in. */
  async hand(): Promise<number> {
    try {
      const { added, refused } = await this.sync()
      return added + refused.length + this.#posted.size
    } catch (err) {
      if (isWeftError(err, ErrorCodes.NETWORK) || isWeftError(err, ErrorCodes.ABORTED)) throw err
      return 0
    }
  }

  /** Forgets which records the server was handed, so the next hand-off sends them all. */
  forget(): void {
    this.#posted.clear()
  }
}

/** Splits records into batches of at most `maxBytes` (by their length) and `maxCount` records. */
function batches(records: readonly string[], maxBytes: number, maxCount: number): string[][] {
  const out: string[][] = []
  let current: string[] = []
  let bytes = 0
  for (const r of records) {
    if (current.length && (bytes + r.length + 8 > maxBytes || current.length >= maxCount)) {
      out.push(current)
      current = []
      bytes = 0
    }
    current.push(r)
    bytes += r.length + 8
  }
  if (current.length) out.push(current)
  return out
}
