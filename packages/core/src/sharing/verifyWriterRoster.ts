import { fromBase64Url } from '../codec/index.ts'
import { Domain, verifyDetached } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { asChangeHash } from '../types.ts'
import type { Grant } from './Grant.ts'
import { GRANT_LIMITS } from './grantFields.ts'
import { rosterBytes } from './rosterBytes.ts'
import type { RosterWriter, SignedWriterRoster } from './WriterRoster.ts'

/** Limits checked before anything is allocated from a hostile roster. */
export const ROSTER_LIMITS = { writers: 256, keysPerWriter: 64, keptHashes: 1_000_000 } as const

const B64_KEY = /^[A-Za-z0-9_-]{43}$/
const SIGNATURE = /^[A-Za-z0-9_-]{86}$/
const HASH = /^[0-9a-f]{64}$/

/**
 * Checks that an untrusted value is a roster for `grant`, signed by the grant's source, naming
 * only the grant's databases. `WEFT_BAD_GRANT` otherwise. Returns it typed (hashes branded).
 */
export function verifyWriterRoster(value: unknown, grant: Grant): SignedWriterRoster {
  const r = value as SignedWriterRoster
  const problem = rosterProblem(r, grant)
  if (problem) throw new WeftError(ErrorCodes.BAD_GRANT, `writer roster for grant ${grant.id}: ${problem}`)
  const ok = verifyDetached(
    Domain.writerRoster,
    rosterBytes(r),
    fromBase64Url(r.signature),
    fromBase64Url(grant.source.signingKey),
  )
  if (!ok)
    throw new WeftError(
      ErrorCodes.BAD_GRANT,
      `writer roster for grant ${grant.id}: the source's signature does not verify`,
    )
  return { ...r, writers: r.writers.map((w) => ({ ...w, kept: w.kept === null ? null : w.kept.map(asChangeHash) })) }
}

function rosterProblem(r: SignedWriterRoster, grant: Grant): string | undefined {
  if (typeof r !== 'object' || r === null || r.v !== 1) return 'not a version 1 roster'
  if (r.grantId !== grant.id || r.source !== grant.source.tenantId) return 'names another grant or source'
  if (!Number.isSafeInteger(r.seq) || r.seq < 0) return 'bad seq'
  if (typeof r.signature !== 'string' || !SIGNATURE.test(r.signature)) return 'malformed signature'
  if (!Array.isArray(r.writers) || r.writers.length > ROSTER_LIMITS.writers)
    return `at most ${ROSTER_LIMITS.writers} writers`
  let kept = 0
  for (const w of r.writers as RosterWriter[]) {
    if (typeof w !== 'object' || w === null || !grant.databases.includes(w.db))
      return 'a writer names a database the grant does not cover'
    if (typeof w.tenant !== 'string' || w.tenant.length === 0 || w.tenant.length > GRANT_LIMITS.tenantId)
      return 'bad writer tenant'
    if (w.tenant === grant.partner.tenantId || w.tenant === grant.source.tenantId)
      return "a writer is one of the grant's own tenants"
    if (!Array.isArray(w.keys) || w.keys.length === 0 || w.keys.length > ROSTER_LIMITS.keysPerWriter)
      return 'bad writer keys'
    if (!w.keys.every((k) => typeof k === 'string' && B64_KEY.test(k))) return 'bad writer key'
    if (w.kept !== null) {
      if (!Array.isArray(w.kept)) return 'bad kept list'
      kept += w.kept.length
      if (kept > ROSTER_LIMITS.keptHashes || !w.kept.every((h) => typeof h === 'string' && HASH.test(h)))
        return 'bad kept list'
    }
  }
  return undefined
}
