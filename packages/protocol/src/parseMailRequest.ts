import { MAIL_LIMITS, type MailOp } from './constants.ts'
import type { MailBodies } from './messages.ts'
import { bad, bytesField, countField, fieldsOf, limitField } from './parseFields.ts'

/** A mailbox operation with its checked body. */
export type MailRequest = { [Op in MailOp]: { readonly op: Op } & MailBodies[Op]['req'] }[MailOp]

/**
 * Checks the decoded body of mailbox operation `op` and returns it typed: `WEFT_PROTOCOL` when
 * malformed, `WEFT_PAYLOAD_TOO_LARGE` for a message over `MAIL_LIMITS.maxMessageBytes`.
 */
export function parseMailRequest(op: MailOp, body: unknown): MailRequest {
  const b = fieldsOf(body)
  switch (op) {
    case 'put': {
      const to = b.to === undefined ? undefined : bytesField(b.to, 'to', { length: 32 })
      if (
        b.topic !== undefined &&
        !(typeof b.topic === 'string' && b.topic.length > 0 && b.topic.length <= MAIL_LIMITS.maxTopicLength)
      ) {
        throw bad(`a topic is a string of 1 to ${MAIL_LIMITS.maxTopicLength} characters`)
      }
      if (b.set !== undefined && b.topic === undefined) throw bad('set goes with a topic')
      return {
        op,
        body: bytesField(b.body, 'body', { max: MAIL_LIMITS.maxMessageBytes }),
        ...(to !== undefined ? { to } : {}),
        ...(b.topic !== undefined ? { topic: b.topic as string } : {}),
        ...(b.set !== undefined ? { set: countField(b.set, 'set') } : {}),
      }
    }
    case 'list':
      return {
        op,
        after: b.after === undefined || b.after === null ? 0 : countField(b.after, 'after'),
        limit: limitField(b.limit, 'limit', MAIL_LIMITS.maxList, MAIL_LIMITS.maxList),
      }
    case 'delete': {
      if (!Array.isArray(b.seqs) || b.seqs.length > MAIL_LIMITS.maxDelete)
        throw bad(`delete names 0 to ${MAIL_LIMITS.maxDelete} message numbers`)
      const seqs = b.seqs.map((s) => countField(s, 'seqs'))
      if (seqs.includes(0)) throw bad('message numbers start at 1')
      return { op, seqs }
    }
    default:
      throw bad(`no such mailbox operation: ${String(op)}`)
  }
}
