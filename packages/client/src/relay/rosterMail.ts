import { ErrorCodes, packValue, unpackValue, WeftError } from '@weft/core/backend'
import { MAIL_LIMITS } from '@weft/protocol'

/**
 * One part of a writer roster an issuer leaves in a grant's relay space for its partner. A roster
 * lists, besides the co-writers' keys, the entries of ended co-writers the issuer kept, so it can
 * outgrow one mailbox message: it is split into parts, reassembled by the partner, and checked
 * there like any roster (signed by the issuer, for this grant).
 */
interface RosterMailPart {
  readonly v: 1
  readonly kind: 'grant-roster'
  readonly grantId: string
  /** The roster's own seq: parts of one roster share it. */
  readonly seq: number
  readonly part: number
  readonly parts: number
  readonly bytes: Uint8Array
}

/** Room left in a message for the part's own fields. */
const PART_BYTES = MAIL_LIMITS.maxMessageBytes - 1024
/** At most this many messages per roster (about 2 MB): the mailbox holds a bounded number. */
export const MAX_ROSTER_PARTS = 32

/** The mailbox topic of a grant's rosters: the parts of one roster form one set of it, named by the roster's seq. */
export function rosterMailTopic(grantId: string): string {
  return `roster:${grantId}`
}

/** Splits a signed roster into mailbox messages; `WEFT_PAYLOAD_TOO_LARGE` beyond {@link MAX_ROSTER_PARTS}. */
export function encodeRosterMail(grantId: string, roster: { readonly seq: number }): Uint8Array[] {
  const bytes = packValue(roster)
  const parts = Math.max(1, Math.ceil(bytes.length / PART_BYTES))
  if (parts > MAX_ROSTER_PARTS) {
    throw new WeftError(
      ErrorCodes.PAYLOAD_TOO_LARGE,
      `the writer roster of grant ${grantId} needs ${parts} mailbox messages; a relay carries at most ${MAX_ROSTER_PARTS}`,
    )
  }
  return Array.from({ length: parts }, (_, part) =>
    packValue({
      v: 1,
      kind: 'grant-roster',
      grantId,
      seq: roster.seq,
      part,
      parts,
      bytes: bytes.subarray(part * PART_BYTES, (part + 1) * PART_BYTES),
    } satisfies RosterMailPart),
  )
}

/** Collects roster parts as they are read; yields each roster whose parts are all in. */
export class RosterAssembler {
  readonly #grantId: string
  #seq = -1
  #parts: (Uint8Array | undefined)[] = []

  constructor(grantId: string) {
    this.#grantId = grantId
  }

  /** Takes one message; returns the roster (unverified) when this completes one, else undefined. */
  add(body: Uint8Array): unknown {
    const p = parse(body, this.#grantId)
    if (!p) return undefined
    if (p.seq !== this.#seq) {
      if (p.seq < this.#seq) return undefined // a part of an older roster than the one being collected
      this.#seq = p.seq
      this.#parts = new Array(p.parts).fill(undefined)
    }
    if (p.parts !== this.#parts.length) return undefined
    this.#parts[p.part] = p.bytes
    if (this.#parts.some((b) => b === undefined)) return undefined
    const whole = new Uint8Array(this.#parts.reduce((n, b) => n + b!.length, 0))
    let o = 0
    for (const b of this.#parts) {
      whole.set(b!, o)
      o += b!.length
    }
    this.#parts = []
    try {
      return unpackValue<unknown>(whole, whole.length)
    } catch {
      return undefined
    }
  }
}

function parse(body: Uint8Array, grantId: string): RosterMailPart | undefined {
  try {
    const p = unpackValue<RosterMailPart>(body, MAIL_LIMITS.maxMessageBytes)
    if (p?.v !== 1 || p.kind !== 'grant-roster' || p.grantId !== grantId || !(p.bytes instanceof Uint8Array))
      return undefined
    const whole = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0
    if (
      !whole(p.seq) ||
      !whole(p.part) ||
      !whole(p.parts) ||
      p.parts < 1 ||
      p.parts > MAX_ROSTER_PARTS ||
      p.part >= p.parts
    )
      return undefined
    return p
  } catch {
    return undefined
  }
}
