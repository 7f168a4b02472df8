import { ErrorCodes, WeftError } from '../../errors.ts'
import { compareValues, isScalar } from './compareValues.ts'
import type { Condition, Scalar, Where } from './types.ts'

/** A condition as bounds: what equality, ranges and `in` allow. */
export interface Bounds {
  readonly eq?: Scalar
  readonly gt?: Scalar
  readonly gte?: Scalar
  readonly lt?: Scalar
  readonly lte?: Scalar
  readonly in?: readonly Scalar[]
}

const OPS = new Set(['eq', 'gt', 'gte', 'lt', 'lte', 'in'])

/** A condition in bounds form; `WEFT_INVALID_ARGUMENT` for anything that is not one. */
export function boundsOf(field: string, c: Condition): Bounds {
  if (isScalar(c)) return { eq: c }
  if (typeof c !== 'object' || Array.isArray(c))
    throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `query: the condition on ${field} is not a value or comparisons`)
  for (const [op, v] of Object.entries(c)) {
    if (!OPS.has(op)) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `query: unknown comparison ${op} on ${field}`)
    const ok = op === 'in' ? Array.isArray(v) && v.every(isScalar) : isScalar(v)
    if (!ok)
      throw new WeftError(
        ErrorCodes.INVALID_ARGUMENT,
        `query: ${op} on ${field} takes ${op === 'in' ? 'a list of values' : 'a value'}`,
      )
  }
  return c
}

/** Whether `value` meets `bounds` (a non-scalar never does). */
export function meets(value: unknown, b: Bounds): boolean {
  if (!isScalar(value)) return false
  if (b.eq !== undefined && compareValues(value, b.eq) !== 0) return false
  if (b.gt !== undefined && !(sameType(value, b.gt) && compareValues(value, b.gt) > 0)) return false
  if (b.gte !== undefined && !(sameType(value, b.gte) && compareValues(value, b.gte) >= 0)) return false
  if (b.lt !== undefined && !(sameType(value, b.lt) && compareValues(value, b.lt) < 0)) return false
  if (b.lte !== undefined && !(sameType(value, b.lte) && compareValues(value, b.lte) <= 0)) return false
  if (b.in !== undefined && !b.in.some((x) => compareValues(value, x) === 0)) return false
  return true
}

/** Ranges compare like with like: `{ gt: 5 }` never matches a string. */
function sameType(a: Scalar, b: Scalar): boolean {
  return (a === null) === (b === null) && typeof a === typeof b
}

/** Whether a document's data meets every condition of `where`. */
export function matchesWhere(data: Readonly<Record<string, unknown>>, where: ReadonlyMap<string, Bounds>): boolean {
  for (const [field, b] of where) if (!meets(data[field], b)) return false
  return true
}

/** `where` checked and in bounds form. */
export function parseWhere(where: Where | undefined): Map<string, Bounds> {
  const out = new Map<string, Bounds>()
  for (const [field, c] of Object.entries(where ?? {})) out.set(field, boundsOf(field, c))
  return out
}
