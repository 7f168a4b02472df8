/**
 * @packageDocumentation
 * The Weft sync protocol, version 1: paths, bodies, limits, registrations and challenges, shared
 * by `@weft/client` and `@weft/server`. Pure values and functions; runs in Node and browsers.
 */
export {
  PROTOCOL_VERSION,
  MSGPACK_TYPE,
  TENANT_HEADER,
  DEFAULT_LIMITS,
  DB_OPS,
  TENANT_OPS,
  MAIL_OPS,
  MAIL_LIMITS,
  MEMBERSHIP_EXPIRED,
  SOCKET_CLOSE,
} from './constants.ts'
export {
  encodeBody,
  decodeBody,
  decodeMessage,
  decodeWithin,
  decodeAnswer,
  answerBudget,
  MAX_ANSWER_BYTES,
  httpStatusOf,
} from './wire.ts'
export { measureMessagePack } from './measureMessagePack.ts'
export {
  decodeBudget,
  MAX_PRE_AUTH_BODY_BYTES,
  MAX_SOCKET_MESSAGE_BYTES,
  MAX_REGISTRATION_KEYS,
  MAX_DIRECTORY_RECORDS_PER_REQUEST,
} from './budgets.ts'
export { parseDbRequest } from './parseDbRequest.ts'
export { parseTenantRequest } from './parseTenantRequest.ts'
export { parseRegistration } from './parseRegistration.ts'
export { parseClientSocketMessage } from './parseSocketMessage.ts'
export { parseServerSocketMessage } from './parseServerSocketMessage.ts'
export {
  parsePresenceSocketMessage,
  isPresenceSocketType,
  PRESENCE_SOCKET_TYPES,
} from './parsePresenceSocketMessage.ts'
export { parseMailRequest } from './parseMailRequest.ts'
export { fieldsOf, cursorField, rangeField, hashListField, tenantField } from './parseFields.ts'
export { createRegistration, verifyRegistration } from './registration.ts'
export { createTenantControl, verifyTenantControl } from './tenantControl.ts'
export { parseTenantControl } from './parseTenantControl.ts'
export { signChallenge, verifyChallenge, asServerSigner, serverOrigin } from './challenge.ts'
export type { SignInTarget } from './challenge.ts'
export type { DecodeBudget, MessagePackMeasure } from './measureMessagePack.ts'
export type { MessageKind } from './budgets.ts'
export type { DbRequest, DbRequests, PushItem } from './parseDbRequest.ts'
export type { TenantRequest, TenantRequests } from './parseTenantRequest.ts'
export type { MailRequest } from './parseMailRequest.ts'
export type { ProtocolLimits, DbOp, TenantOp, MailOp } from './constants.ts'
export type {
  WireEntry,
  PushResult,
  Bodies,
  MailBodies,
  MailMessage,
  MailPut,
  ErrorBody,
  Registration,
  SignedRegistration,
  TenantControl,
  SignedTenantControl,
  ClientSocketMessage,
  ServerSocketMessage,
  PresenceSocketMessage,
} from './messages.ts'
export type { TenantUsage, TenantLimits, ServerIdentity } from './messages.ts'
