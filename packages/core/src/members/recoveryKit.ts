import * as A from '@automerge/automerge'
import { concatBytes, packValue, toHex, unpackValue, utf8 } from '../codec/index.ts'
import { blake2b256, Domain, randomBytes, sodium, type BoxKeyPair, type SigningKeyPair } from '../crypto/index.ts'
import {
  createEntry,
  decodeChangePayload,
  decryptEntryWithKey,
  encodeChangePayload,
  parseEntry,
} from '../entries/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import type { KeyVersion } from '../keys/index.ts'
import type { ChangeStore } from '../store/index.ts'
import { asDbName, asDocId, asKeyId, type Cursor, type TenantId } from '../types.ts'
import { DIRECTORY_DB } from './directoryEntries.ts'

/** The key name a recovery kit's entry is encrypted under; no key bag holds it. */
export const RECOVERY_KEY_ID = 'weft-recovery'

const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ0123456789' // Crockford base32: no I, L, O, U
const CODE_CHARS = 40 // 200 bits

/** What a recovery code derives: the recovery device's keys and the key of its kit entry. */
export interface RecoveryKeys {
  readonly signing: SigningKeyPair
  readonly box: BoxKeyPair
  readonly kitKey: Uint8Array
}

/** What a kit entry holds: the tenant root and every key the tenant held when it was made. */
export interface RecoveryKit {
  readonly root: Uint8Array
  readonly keys: Array<[string, KeyVersion[]]>
}

/** A fresh printable recovery code: 40 base32 characters (200 bits) in groups of five. */
export function newRecoveryCode(): string {
  const bytes = randomBytes(CODE_CHARS)
  const chars = [...bytes].map((b) => ALPHABET[b & 31]).join('')
  return chars.match(/.{5}/g)!.join('-')
}

/** Derives the recovery device and kit key from a code; `WEFT_BAD_RECOVERY_CODE` if it is not one. */
export function recoveryKeys(code: string): RecoveryKeys {
  const clean = typeof code === 'string' ? code.toUpperCase().replace(/[\s-]/g, '') : ''
  if (clean.length !== CODE_CHARS || [...clean].some((c) => !ALPHABET.includes(c))) {
    throw new WeftError(ErrorCodes.BAD_RECOVERY_CODE, 'a recovery code is 40 characters of Crockford base32')
  }
  const part = (label: string): Uint8Array =>
    blake2b256(
      concatBytes(utf8(Domain.recoveryKit), new Uint8Array([0]), utf8(label), new Uint8Array([0]), utf8(clean)),
    )
  const s = sodium().crypto_sign_seed_keypair(part('signing'))
  const b = sodium().crypto_box_seed_keypair(part('box'))
  return {
    signing: { publicKey: s.publicKey, privateKey: s.privateKey },
    box: { publicKey: b.publicKey, privateKey: b.privateKey },
    kitKey: part('kit'),
  }
}

/** Appends the kit to the directory database, encrypted under the code's kit key, signed by `author`. */
export async function appendRecoveryKit(
  store: ChangeStore,
  tenantId: TenantId,
  kit: RecoveryKit,
  kitKey: Uint8Array,
  author: SigningKeyPair,
): Promise<void> {
  const am = A.change(A.init<{ kit?: Uint8Array }>(), (d) => void (d.kit = packValue(kit)))
  const entry = createEntry({
    kind: 'create',
    docId: asDocId(toHex(randomBytes(16))),
    origin: { tenant: tenantId, db: asDbName(DIRECTORY_DB) },
    deps: [],
    keyId: asKeyId(RECOVERY_KEY_ID),
    keyVersion: 1,
    key: kitKey,
    payload: encodeChangePayload(A.getAllChanges(am)),
    author,
  })
  A.free(am)
  const result = await store.append(entry)
  if (result.rejected.length) throw result.rejected[0]!.error
}

/**
 * Finds the newest kit in a directory store that `kitKey` opens (key commitment: another code's
 * kit does not open). `WEFT_BAD_RECOVERY_CODE` when there is none.
 */
export async function findRecoveryKit(store: ChangeStore, kitKey: Uint8Array): Promise<RecoveryKit> {
  let found: RecoveryKit | undefined
  for (let cursor: Cursor | null = null; ;) {
    const page = await store.scan(cursor, { limit: 2_000 })
    for (const env of await store.getChanges(page.entries.map((e) => e.hash))) {
      try {
        const entry = parseEntry(env.hash, env.bytes)
        if (entry.header.keyId !== RECOVERY_KEY_ID) continue
        const [doc] = A.applyChanges(
          A.init<{ kit?: Uint8Array }>(),
          decodeChangePayload(decryptEntryWithKey(entry, kitKey)),
        )
        const kit = unpackValue<RecoveryKit>(doc.kit!, doc.kit!.length)
        A.free(doc)
        if (kit.root instanceof Uint8Array && Array.isArray(kit.keys)) found = kit
      } catch {
        // Another code's kit, or not a kit.
      }
    }
    cursor = page.cursor
    if (page.done) break
  }
  if (!found)
    throw new WeftError(ErrorCodes.BAD_RECOVERY_CODE, 'no recovery kit made with this code is in the store given')
  return found
}
