import { beforeAll, describe, expect, it } from 'vitest'
import { ErrorCodes, isWeftError, TEST_KDF } from '../src/index.ts'
import { generateBoxKeyPair, generateSigningKeyPair, ready } from '../src/crypto/index.ts'
import {
  DEFAULT_KEY_ID,
  KeyBag,
  openSealedKeyVersions,
  protectKeyVersions,
  sealKeyVersions,
} from '../src/keys/index.ts'

beforeAll(ready)
const code = (c: string) => (e: unknown) => isWeftError(e) && e.code === c

describe('KeyBag', () => {
  it('always holds default and writes with the newest version after rotation', async () => {
    const bag = KeyBag.create()
    expect(bag.current('default').version).toBe(1)
    const v1 = bag.current('default').key
    expect(await bag.rotateKey('default')).toBe(2)
    expect(bag.current('default').version).toBe(2)
    expect(bag.get('default', 1)).toEqual(v1)
    expect(() => bag.current('nope')).toThrow(expect.objectContaining({ code: ErrorCodes.KEY_NOT_FOUND }))
  })

  it('exports and imports every version under a password', async () => {
    const a = KeyBag.create()
    await a.generateKey('collab')
    await a.rotateKey('collab')
    const blob = await a.exportKey('collab', 'pw', TEST_KDF)
    const b = KeyBag.create()
    await b.importKey('shared', blob, 'pw')
    expect(b.versions('shared')).toEqual(a.versions('collab'))
  })

  it('fails a wrong password with WEFT_WRONG_PASSWORD and changes nothing', async () => {
    const blob = protectKeyVersions([{ version: 1, key: new Uint8Array(32).fill(1) }], 'right', TEST_KDF)
    const bag = KeyBag.create()
    let notified = 0
    bag.subscribe(() => void notified++)
    await expect(bag.importKey('x', blob, 'wrong')).rejects.toSatisfy(code(ErrorCodes.WRONG_PASSWORD))
    expect(bag.has('x')).toBe(false)
    expect(notified).toBe(0)
    await expect(bag.importKey('x', Uint8Array.of(1, 2, 3), 'right')).rejects.toSatisfy(code(ErrorCodes.MALFORMED_BLOB))
    const tampered = blob.slice()
    tampered[tampered.length - 3]! ^= 1
    await expect(bag.importKey('x', tampered, 'right')).rejects.toSatisfy(code(ErrorCodes.WRONG_PASSWORD))
  })

  it('refuses a different key under a version it already holds', async () => {
    const bag = KeyBag.create()
    await expect(bag.addVersions(DEFAULT_KEY_ID, [{ version: 1, key: new Uint8Array(32) }])).rejects.toSatisfy(
      code(ErrorCodes.INVALID_ARGUMENT),
    )
  })

  it('rejects bad key names', async () => {
    await expect(KeyBag.create().generateKey('a/b')).rejects.toSatisfy(code(ErrorCodes.INVALID_ARGUMENT))
  })
})

describe('sealed key hand-off', () => {
  it('opens only for the recipient and proves the sender', () => {
    const sender = generateSigningKeyPair()
    const recipient = generateBoxKeyPair()
    const versions = [{ version: 3, key: new Uint8Array(32).fill(5) }]
    const sealed = sealKeyVersions('orders', versions, recipient.publicKey, sender)
    const opened = openSealedKeyVersions(sealed, recipient)
    expect(opened.keyId).toBe('orders')
    expect(opened.versions).toEqual(versions)
    expect(opened.sender).toEqual(sender.publicKey)
    expect(() => openSealedKeyVersions(sealed, generateBoxKeyPair())).toThrow(
      expect.objectContaining({ code: ErrorCodes.DECRYPT_FAILED }),
    )
  })
})
