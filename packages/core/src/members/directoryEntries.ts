import * as A from '@automerge/automerge'
import { toHex } from '../codec/index.ts'
import { randomBytes, type SigningKeyPair } from '../crypto/index.ts'
import {
  createEntry,
  decodeChangePayload,
  decryptEntryWithKey,
  encodeChangePayload,
  findEntryKey,
  parseEntry,
} from '../entries/index.ts'
import type { KeyBag } from '../keys/index.ts'
import type { ChangeStore } from '../store/index.ts'
import { asDbName, asDocId, asKeyId, type ChangeHash, type TenantId } from '../types.ts'
import type { SignedRecord } from './MemberRecord.ts'

/** The database that holds a tenant's directory; it syncs like any other. */
export const DIRECTORY_DB = '_directory'

/**
 * Appends one directory record as a `create` entry of its own document in the directory
 * database, encrypted under `default` (the version given, else the newest). One document per
 * record: records are never changed, so offline changes merge as a union.
 */
export async function appendRecord(
  store: ChangeStore,
  record: SignedRecord,
  ctx: { tenantId: TenantId; keyBag: KeyBag; signer: SigningKeyPair; keyVersion?: number },
): Promise<void> {
  const version = ctx.keyVersion ?? ctx.keyBag.current('default').version
  const key = ctx.keyBag.get('default', version)!
  const am = A.change(A.init<{ r?: string }>(), (d) => void (d.r = record))
  const entry = createEntry({
    kind: 'create',
    docId: asDocId(toHex(randomBytes(16))),
    origin: { tenant: ctx.tenantId, db: asDbName(DIRECTORY_DB) },
    deps: [],
    keyId: asKeyId('default'),
    keyVersion: version,
    key,
    payload: encodeChangePayload(A.getAllChanges(am)),
    author: ctx.signer,
  })
  A.free(am)
  const result = await store.append(entry)
  if (result.rejected.length) throw result.rejected[0]!.error
}

/**
 * Reads the records of directory entries `hashes`: `create` entries only (a change or delete of a
 * record's document changes nothing). Entries whose key version is not held are returned as
 * `locked`, to read again when keys arrive.
 */
export async function readRecords(
  store: ChangeStore,
  hashes: readonly ChangeHash[],
  keyBag: KeyBag,
  origin: TenantId,
): Promise<{ records: unknown[]; locked: ChangeHash[] }> {
  const records: unknown[] = []
  const locked: ChangeHash[] = []
  for (const env of await store.getChanges(hashes)) {
    try {
      const entry = parseEntry(env.hash, env.bytes)
      const h = entry.header
      if (h.kind !== 'create' || h.keyId !== 'default' || h.origin.tenant !== origin || h.origin.db !== DIRECTORY_DB)
        continue
      const key = findEntryKey(entry, keyBag)
      if (!key) {
        locked.push(env.hash)
        continue
      }
      const [doc] = A.applyChanges(A.init<{ r?: unknown }>(), decodeChangePayload(decryptEntryWithKey(entry, key.key)))
      records.push(doc.r)
      A.free(doc)
    } catch {
      // Not a readable directory entry: it carries no record.
    }
  }
  return { records, locked }
}
