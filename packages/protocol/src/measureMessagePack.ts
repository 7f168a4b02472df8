import { ErrorCodes, WeftError } from '@weft/core'

/**
 * What one message may cost to decode: how many values (every map key, map value and array item
 * counts), how deeply containers nest, and an estimate of the memory the decoded value takes.
 */
export interface DecodeBudget {
  readonly maxElements: number
  readonly maxDepth: number
  /** Estimated bytes of the decoded value (see {@link measureMessagePack}). */
  readonly maxDecodedBytes: number
}

/** What {@link measureMessagePack} found. */
export interface MessagePackMeasure {
  readonly elements: number
  readonly depth: number
  readonly decodedBytes: number
}

// Rough costs, in bytes, of decoded values on a JavaScript heap: generous, so the estimate is an
// upper bound of what the decoder allocates (a binary value becomes a Buffer view and a
// Uint8Array view; a map an object with its properties).
const COST_SCALAR = 16
const COST_STRING = 32
const COST_BINARY = 256
const COST_CONTAINER = 64
const COST_SLOT = 16

const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f] // "__proto__"

/**
 * Walks the raw MessagePack bytes of an untrusted message without decoding anything, and refuses
 * it, before a decoder allocates a thing, when it breaks `budget` (`WEFT_PAYLOAD_TOO_LARGE`) or is
 * not what Weft sends (`WEFT_PROTOCOL`): truncated or trailing bytes, a declared length longer
 * than the bytes left, extension types, map keys that are not strings or are `__proto__`.
 * Linear in the bytes, with a stack as deep as the nesting allowed.
 */
export function measureMessagePack(bytes: Uint8Array, budget: DecodeBudget): MessagePackMeasure {
  const end = bytes.length
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // Per open container: values still to read, and whether it is a map (keys at even counts left).
  const left: number[] = [1]
  const isMap: boolean[] = [false]
  let pos = 0
  let elements = 0
  let depth = 0
  let cost = 0
  const need = (n: number): void => {
    if (n > end - pos) throw malformed('truncated or declares more than it holds')
  }
  const u8 = () => (need(1), bytes[pos++]!)
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2))
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4))

  while (left.length > 0) {
    const top = left.length - 1
    if (left[top] === 0) {
      left.pop()
      isMap.pop()
      continue
    }
    const asKey = isMap[top]! && left[top]! % 2 === 0
    left[top]!--
    if (++elements > budget.maxElements) throw tooLarge(`more than ${budget.maxElements} values`)
    const start = pos
    const b = u8()
    let container = -1 // values inside, when this is a container
    let map = false
    let strLen = -1
    if (b <= 0x7f || b >= 0xe0) cost += COST_SCALAR
    else if (b <= 0x8f) {
      container = (b & 0x0f) * 2
      map = true
    } else if (b <= 0x9f) container = b & 0x0f
    else if (b <= 0xbf) strLen = b & 0x1f
    else {
      switch (b) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          cost += COST_SCALAR
          break
        case 0xc4:
        case 0xc5:
        case 0xc6: {
          const n = b === 0xc4 ? u8() : b === 0xc5 ? u16() : u32()
          need(n)
          pos += n
          cost += COST_BINARY + n
          break
        }
        case 0xca:
          need(4)
          pos += 4
          cost += COST_SCALAR
          break
        case 0xcb:
          need(8)
          pos += 8
          cost += COST_SCALAR
          break
        case 0xcc:
        case 0xd0:
          need(1)
          pos += 1
          cost += COST_SCALAR
          break
        case 0xcd:
        case 0xd1:
          need(2)
          pos += 2
          cost += COST_SCALAR
          break
        case 0xce:
        case 0xd2:
          need(4)
          pos += 4
          cost += COST_SCALAR
          break
        case 0xcf:
        case 0xd3:
          need(8)
          pos += 8
          cost += COST_SCALAR
          break
        case 0xd9:
          strLen = u8()
          break
        case 0xda:
          strLen = u16()
          break
        case 0xdb:
          strLen = u32()
          break
        case 0xdc:
          container = u16()
          break
        case 0xdd:
          container = u32()
          break
        case 0xde:
          container = u16() * 2
          map = true
          break
        case 0xdf:
          container = u32() * 2
          map = true
          break
        default:
          throw malformed(b === 0xc1 ? 'the never-used byte 0xc1' : 'extension types are not part of the protocol')
      }
    }
    if (strLen >= 0) {
      need(strLen)
      if (asKey && strLen === PROTO.length && PROTO.every((c, i) => bytes[pos + i] === c))
        throw malformed('a map key __proto__')
      pos += strLen
      cost += COST_STRING + strLen
    } else if (asKey) {
      throw malformed(`a map key that is not a string (at byte ${start})`)
    }
    if (container >= 0) {
      // Every value takes at least one byte: a declared length past the end is refused before any count.
      need(container)
      cost += COST_CONTAINER + container * COST_SLOT
      if (container > 0) {
        if (left.length > budget.maxDepth) throw tooLarge(`nested deeper than ${budget.maxDepth}`)
        left.push(container)
        isMap.push(map)
        depth = Math.max(depth, left.length - 1)
      }
    }
    if (cost > budget.maxDecodedBytes)
      throw tooLarge(`would take more than ${budget.maxDecodedBytes} bytes of memory decoded`)
  }
  if (pos !== end) throw malformed('bytes after the message')
  return { elements, depth, decodedBytes: cost }
}

function tooLarge(what: string): WeftError {
  return new WeftError(ErrorCodes.PAYLOAD_TOO_LARGE, `the message is too complex: ${what}`)
}

function malformed(what: string): WeftError {
  return new WeftError(ErrorCodes.PROTOCOL, `not a protocol message: ${what}`)
}
