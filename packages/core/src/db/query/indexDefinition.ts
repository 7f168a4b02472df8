import { digest } from '../filterFingerprint.ts'
import type { IndexSpec } from './types.ts'

/**
 * What an index's stored state is valid for: its top-level fields, or its map function's `version`
 * (else the function's source text, which sees a change of code but not of values it closes over).
 */
export function indexDefinition(spec: IndexSpec): string {
  if ('fields' in spec) return `f:${digest(JSON.stringify(spec.fields))}`
  return spec.version !== undefined ? `v:${digest(spec.version)}` : `s:${digest(spec.map.toString())}`
}
