import { concatBytes, toHex, utf8 } from '../codec/index.ts'
import { blake2b, Domain, type SigningKeyPair } from '../crypto/index.ts'
import type { DbName, TenantId } from '../types.ts'

/** This device's short name in record keys (each device keeps its own database indexes). */
function deviceName(signing: SigningKeyPair): string {
  return toHex(blake2b(signing.publicKey, 8))
}

/** The key this device's database indexes are sealed under, derived from its signing key. */
function indexKey(signing: SigningKeyPair): Uint8Array {
  return blake2b(concatBytes(utf8(Domain.dbIndexKey), signing.privateKey), 32)
}

/**
 * Where this device keeps the persisted index of database `dbName`: the prefix of its records
 * (`<tenant id>/<db name>/<device>/`) and the key it is sealed under.
 */
export function dbIndexLocation(
  tenantId: TenantId,
  dbName: DbName,
  signing: SigningKeyPair,
): { prefix: string; key: Uint8Array } {
  return { prefix: `${tenantId}/${dbName}/${deviceName(signing)}/`, key: indexKey(signing) }
}
