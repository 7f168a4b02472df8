import { toBase64Url, toHex } from '../codec/index.ts'
import { randomBytes } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { sealKeyVersions } from '../keys/index.ts'
import type { Cursor } from '../types.ts'
import { createJoinResponse, type JoinResponse } from './joinResponse.ts'
import { parseJoinRequest } from './joinRequest.ts'
import type { MemberDirectory, MembersHost } from './MemberDirectory.ts'
import { isRole, type Role } from './roles.ts'

/** How an admin admits a join request. */
export interface ApproveOptions {
  /** The role of the new user. Default `writer`. Ignored with `userId`. */
  readonly role?: Role
  /** Adds the device to this existing user (another device of the same person) instead of a new user. */
  readonly userId?: string
}

/**
 * Admits a join request: checks it (`WEFT_BAD_JOIN_REQUEST` if tampered or for another tenant,
 * `WEFT_JOIN_REPLAYED` if approved before), registers the device in the directory, and seals
 * every key the tenant holds to the device. Nothing changes when a check fails.
 */
export async function approveJoin(
  dir: MemberDirectory,
  host: MembersHost,
  input: unknown,
  options: ApproveOptions = {},
): Promise<JoinResponse> {
  const req = parseJoinRequest(input)
  if (req.request.tenantId !== host.tenantId)
    throw new WeftError(ErrorCodes.BAD_JOIN_REQUEST, 'the join request is for another tenant')
  if (options.role !== undefined && !isRole(options.role))
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, 'roles are admin, writer or reader')
  const state = await dir.requireAdmin()
  const existing = options.userId === undefined ? undefined : state.users.get(options.userId)
  if (options.userId !== undefined && (!existing || existing.removed))
    throw new WeftError(ErrorCodes.MEMBER_NOT_FOUND, `no user ${options.userId}`)
  const userId = existing?.id ?? toHex(randomBytes(16))
  const role = existing?.role ?? options.role ?? 'writer'
  await dir.addDevice({
    op: 'add-device',
    userId,
    name: req.request.userName,
    role,
    device: { key: req.signingKey, box: req.boxKey },
    joinId: req.joinId,
  })
  const keys = host.keyBag
    .keyIds()
    .map((k) => toBase64Url(sealKeyVersions(k, host.keyBag.versions(k), req.boxKey, host.identity.signing)))
  const store = await host.openDirectoryStore()
  const directory: string[] = []
  for (let cursor: Cursor | null = null; ;) {
    const page = await store.scan(cursor, { limit: 2_000 })
    for (const env of await store.getChanges(page.entries.map((e) => e.hash))) directory.push(toBase64Url(env.bytes))
    cursor = page.cursor
    if (page.done) break
  }
  return createJoinResponse(
    { tenantId: host.tenantId, joinId: req.joinId, userId, role, root: toBase64Url(host.root), keys, directory },
    host.identity.signing,
  )
}
