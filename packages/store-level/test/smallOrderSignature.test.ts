import {
  Domain,
  ErrorCodes,
  hashEntryBytes,
  ready,
  utf8,
  type ChangeHash,
  type SigningKeyPair,
} from '@weft/core/backend'
import { EntryFactory, envelope } from '@weft/core/testing'
import { Level } from 'level'
import sodium from 'libsodium-wrappers-sumo'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LevelStoreFactory, type LevelChangeStore, type LevelDatabase } from '../src/index.ts'
import { tempDir } from './helpers/tempDir.ts'

/**
 * Re-signs entry bytes with `R` = the identity point and `S = H(R‖A‖M)·a`: the cofactorless
 * equation holds, so WebCrypto alone would accept it, while libsodium refuses a small-order `R`.
 */
function signWithIdentityR(bytes: Uint8Array, signer: SigningKeyPair): { hash: ChangeHash; bytes: Uint8Array } {
  const s = sodium
  const unsigned = bytes.subarray(0, bytes.length - 64)
  const message = concatBytes(utf8(Domain.entrySignature), new Uint8Array([0]), unsigned)
  const clamped = s.crypto_hash_sha512(signer.privateKey.subarray(0, 32)).slice(0, 32)
  clamped[0]! &= 248
  clamped[31]! &= 127
  clamped[31]! |= 64
  const a = s.crypto_core_ed25519_scalar_reduce(concatBytes(clamped, new Uint8Array(32)))
  const r = new Uint8Array(32)
  r[0] = 1
  const h = s.crypto_core_ed25519_scalar_reduce(s.crypto_hash_sha512(concatBytes(r, signer.publicKey, message)))
  const forged = concatBytes(unsigned, r, s.crypto_core_ed25519_scalar_mul(h, a))
  return { hash: hashEntryBytes(forged), bytes: forged }
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) out.set(p, (at += p.length) - p.length)
  return out
}

describe('a signature with a small-order R', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let db: LevelDatabase
  let factory: LevelStoreFactory
  let store: LevelChangeStore
  let f: EntryFactory
  beforeAll(async () => {
    await ready()
    await sodium.ready
    f = new EntryFactory()
  })
  beforeEach(async () => {
    dir = await tempDir()
    db = new Level<string, Uint8Array>(dir.path, { valueEncoding: 'view' })
    factory = new LevelStoreFactory({ db })
    store = await factory.openChangeStore('t/db')
  })
  afterEach(async () => {
    await factory.close()
    await db.close()
    await dir.remove()
  })

  it('is refused on append, so the integrity check never reports false corruption', async () => {
    const forged = signWithIdentityR(f.entry().bytes, f.signer)
    const genuine = f.entry(1)
    const result = await store.appendMany([forged, envelope(genuine)])
    expect(result.added).toEqual([genuine.hash])
    expect(result.rejected).toMatchObject([{ hash: forged.hash, error: { code: ErrorCodes.BAD_SIGNATURE } }])
    const report = await store.checkIntegrity({ verifyEntries: true })
    expect(report).toEqual({ entries: 1, arrivals: 1, docRows: 1, metaSeq: 1, problems: [] })
  })
})
