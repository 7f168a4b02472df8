import type { TenantOp } from './constants.ts'
import { ErrorCodes, WeftError } from '@weft/core/backend'
import { MAX_DIRECTORY_RECORDS_PER_REQUEST, MAX_PRE_AUTH_BODY_BYTES } from './budgets.ts'
import type { SignedRegistration, SignedTenantControl } from './messages.ts'
import { bad, bytesField, fieldsOf, stringField } from './parseFields.ts'
import { parseRegistration } from './parseRegistration.ts'
import { parseTenantControl } from './parseTenantControl.ts'

/** The checked body of each tenant-level operation. */
export interface TenantRequests {
  register: { registration: SignedRegistration; token?: string }
  directory: { records: string[] }
  transfer: { control: SignedTenantControl }
  reset: { control: SignedTenantControl }
  challenge: { publicKey: Uint8Array }
  session: { publicKey: Uint8Array; challenge: Uint8Array; server: string; serverId: string; signature: Uint8Array }
  usage: Record<never, never>
}

/** A tenant-level operation with its checked body. */
export type TenantRequest = { [Op in TenantOp]: { readonly op: Op } & TenantRequests[Op] }[TenantOp]

/** Longest server origin or server id a sign-in may name. */
const MAX_SERVER_NAME = 512

/** Checks the decoded body of tenant operation `op` and returns it typed; `WEFT_PROTOCOL` when malformed. */
export function parseTenantRequest(op: TenantOp, body: unknown): TenantRequest {
  const b = fieldsOf(body)
  switch (op) {
    case 'register':
      return {
        op,
        registration: parseRegistration(b.registration),
        // An operator-issued token, for servers whose open registration is off.
        ...(b.token === undefined ? {} : { token: stringField(b.token, 'token', 1024) }),
      }
    case 'directory': {
      if (!Array.isArray(b.records)) throw bad('records is a list of signed directory records')
      if (b.records.length > MAX_DIRECTORY_RECORDS_PER_REQUEST)
        throw new WeftError(
          ErrorCodes.TOO_MANY_ENTRIES,
          `at most ${MAX_DIRECTORY_RECORDS_PER_REQUEST} directory records in one request`,
        )
      return {
        op,
        records: b.records.map((r, i) => stringField(r, `records[${i}]`, MAX_PRE_AUTH_BODY_BYTES)),
      }
    }
    case 'transfer':
    case 'reset': {
      const control = parseTenantControl(b.control)
      if (control.op !== op) throw bad(`the body of ${op} is a signed ${op}`)
      return { op, control }
    }
    case 'challenge':
      return { op, publicKey: bytesField(b.publicKey, 'publicKey', { length: 32 }) }
    case 'session':
      return {
        op,
        publicKey: bytesField(b.publicKey, 'publicKey', { length: 32 }),
        challenge: bytesField(b.challenge, 'challenge', { max: 256 }),
        server: stringField(b.server, 'server', MAX_SERVER_NAME),
        serverId: stringField(b.serverId, 'serverId', MAX_SERVER_NAME),
        signature: bytesField(b.signature, 'signature', { length: 64 }),
      }
    case 'usage':
      return { op }
  }
}
