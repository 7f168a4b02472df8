import { fromBase64Url, toBase64Url } from '../codec/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { hashEntryBytes } from '../entries/index.ts'
import { KeyBag, openSealedKeyVersions } from '../keys/index.ts'
import { MemoryChangeStore, type ChangeStore } from '../store/index.ts'
import type { TenantRecord } from '../tenant/index.ts'
import { asKeyId, asTenantId } from '../types.ts'
import { readRecords } from './directoryEntries.ts'
import { foldDirectory } from './foldDirectory.ts'
import { verifyMemberRecord, type VerifiedRecord } from './MemberRecord.ts'
import { verifyJoinResponse, type JoinResponse } from './joinResponse.ts'
import type { VerifiedJoinRequest } from './joinRequest.ts'

/**
 * The tenant record of a device that joined: its own identity (from the record kept since
 * `createJoinRequest`), the keys the response sealed to it (sent by the approving device), and the
 * tenant root. Checks the response answers this request (`WEFT_BAD_JOIN_REQUEST`).
 */
export async function joinedRecord(
  pending: TenantRecord,
  request: VerifiedJoinRequest,
  input: unknown,
  now: number,
): Promise<{ record: TenantRecord; response: JoinResponse }> {
  const response = verifyJoinResponse(input, request.request.tenantId, request.joinId)
  if (toBase64Url(pending.identity.signing.publicKey) !== request.request.signingKey) {
    throw new WeftError(ErrorCodes.BAD_JOIN_REQUEST, 'the join request was not made on this device')
  }
  const bag = new KeyBag()
  for (const k of response.keys) {
    let opened
    try {
      opened = openSealedKeyVersions(fromBase64Url(k), pending.identity.box)
    } catch (cause) {
      throw new WeftError(ErrorCodes.BAD_JOIN_REQUEST, 'a key in the join response does not open', { cause })
    }
    if (toBase64Url(opened.sender) !== response.approver)
      throw new WeftError(ErrorCodes.BAD_JOIN_REQUEST, 'a key in the join response comes from another device')
    await bag.addVersions(asKeyId(opened.keyId), opened.versions)
  }
  if (!bag.has('default')) throw new WeftError(ErrorCodes.BAD_JOIN_REQUEST, 'the join response carries no default key')
  const root = fromBase64Url(response.root)
  await checkDirectory(response, root, bag, request.request.signingKey)
  const record: TenantRecord = {
    ...pending,
    members: [root, pending.identity.signing.publicKey],
    keys: bag.toRecord(),
    partners: [],
    createdAt: now,
    root,
    directory: true,
  }
  return { record, response }
}

/**
 * Folds the directory a response carries, in memory, and checks that it lists the approver as an
 * admin's device and this device as a member: a response from a device that may not admit
 * anyone is refused before anything is stored.
 */
async function checkDirectory(response: JoinResponse, root: Uint8Array, keys: KeyBag, me: string): Promise<void> {
  const store = new MemoryChangeStore()
  try {
    await seedDirectory(store, response)
    const { records } = await readRecords(store, await store.getAllChangeHashes(), keys, asTenantId(response.tenantId))
    const verified: VerifiedRecord[] = []
    for (const r of records) {
      try {
        verified.push(verifyMemberRecord(r, response.tenantId))
      } catch {
        // Refused by every device anyway.
      }
    }
    const state = foldDirectory(root, verified)
    const approver = state.devices.get(response.approver)
    const self = state.devices.get(me)
    if (!approver || approver.removed || state.users.get(approver.userId)?.role !== 'admin' || !self || self.removed) {
      throw new WeftError(
        ErrorCodes.BAD_JOIN_REQUEST,
        "the join response's directory does not admit this device by an admin",
      )
    }
  } finally {
    await store.close()
  }
}

/** Appends the directory entries a join response carries to the new device's directory store. */
export async function seedDirectory(store: ChangeStore, response: JoinResponse): Promise<void> {
  const entries = response.directory.map((b) => {
    const bytes = fromBase64Url(b)
    return { hash: hashEntryBytes(bytes), bytes }
  })
  if (entries.length) await store.appendMany(entries)
}
