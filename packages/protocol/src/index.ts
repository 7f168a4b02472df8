/**
 * @packageDocumentation
 * The Weft sync protocol, version 1: paths, bodies, limits, registrations and challenges, shared
 * by `@weft/client` and `@weft/server`. Pure values and functions; runs in Node and browsers.
 */
export { PROTOCOL_VERSION, MSGPACK_TYPE, TENANT_HEADER, DEFAULT_LIMITS, DB_OPS, TENANT_OPS, MAIL_OPS, MAIL_LIMITS, MEMBERSHIP_EXPIRED, SOCKET_CLOSE } from './constants.ts'
export { encodeBody, decodeBody, httpStatusOf } from './wire.ts'
export { createRegistration, verifyRegistration } from './registration.ts'
export { signChallenge, verifyChallenge, asServerSigner, serverOrigin } from './challenge.ts'
export type { ProtocolLimits, DbOp, TenantOp, MailOp } from './constants.ts'
export type {
  WireEntry, PushResult, Bodies, MailBodies, MailMessage, MailPut, ErrorBody, Registration, SignedRegistration, ClientSocketMessage, ServerSocketMessage,
} from './messages.ts'
export type { TenantUsage, TenantLimits } from './messages.ts'
