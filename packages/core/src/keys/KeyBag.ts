import { generateKey, type KdfParams, DEFAULT_KDF, constantTimeEqual } from '../crypto/index.ts'
import { Domain } from '../crypto/index.ts'
import { ErrorCodes, WeftError } from '../errors.ts'
import { asKeyId, type KeyId } from '../types.ts'
import { decodeKeyVersions, encodeKeyVersions, type KeyVersion } from './keyMaterial.ts'
import { newPasswordKey, openWithPassword, sealWithPasswordKey } from './passwordBox.ts'

/** The key every tenant member holds. */
export const DEFAULT_KEY_ID: KeyId = asKeyId('default')

const KEY_NAME = /^[A-Za-z0-9._-]{1,64}$/

/** Listener called with the key id whenever a key or key version is added. */
export type KeyBagListener = (keyId: KeyId) => void | Promise<void>

/**
 * Named symmetric keys with versions. New writes use the newest version of a key; reads use the
 * version named in the entry. `default` is always present.
 */
export class KeyBag {
  readonly #keys = new Map<KeyId, Map<number, Uint8Array>>()
  readonly #listeners = new Set<KeyBagListener>()
  #onPersist: (() => Promise<void>) | undefined

  /** A key bag holding a fresh `default` key. */
  static create(): KeyBag {
    const bag = new KeyBag()
    bag.#put(DEFAULT_KEY_ID, 1, generateKey())
    return bag
  }

  /** Rebuilds a key bag from {@link KeyBag.toRecord} output. */
  static fromRecord(record: ReadonlyArray<readonly [string, readonly KeyVersion[]]>): KeyBag {
    const bag = new KeyBag()
    for (const [id, versions] of record) for (const v of versions) bag.#put(asKeyId(id), v.version, v.key)
    return bag
  }

  /** Plain value for persistence (secret: store it encrypted). */
  toRecord(): Array<[string, KeyVersion[]]> {
    return [...this.#keys].map(([id, versions]) => [id, [...versions].map(([version, key]) => ({ version, key }))])
  }

  /** @internal Called after every change so the owner can persist the bag. */
  setPersistHook(hook: () => Promise<void>): void {
    this.#onPersist = hook
  }

  /** Key ids held. */
  keyIds(): KeyId[] {
    return [...this.#keys.keys()]
  }

  /** True when `keyId` (and, if given, that version) is held. */
  has(keyId: string, version?: number): boolean {
    const versions = this.#keys.get(keyId as KeyId)
    return versions !== undefined && (version === undefined || versions.has(version))
  }

  /** The newest version of a key; throws `WEFT_KEY_NOT_FOUND` if absent. */
  current(keyId: string): KeyVersion {
    const versions = this.#keys.get(keyId as KeyId)
    if (!versions) throw new WeftError(ErrorCodes.KEY_NOT_FOUND, `no key named ${keyId}`)
    let best = 0
    for (const v of versions.keys()) if (v > best) best = v
    return { version: best, key: versions.get(best)! }
  }

  /** A given version of a key, or `undefined`. */
  get(keyId: string, version: number): Uint8Array | undefined {
    return this.#keys.get(keyId as KeyId)?.get(version)
  }

  /** All versions of a key, oldest first. */
  versions(keyId: string): KeyVersion[] {
    const versions = this.#keys.get(keyId as KeyId)
    if (!versions) return []
    return [...versions].sort((a, b) => a[0] - b[0]).map(([version, key]) => ({ version, key }))
  }

  /** Every key version held, under any name. */
  *allKeys(): IterableIterator<{ keyId: KeyId; version: number; key: Uint8Array }> {
    for (const [keyId, versions] of this.#keys) for (const [version, key] of versions) yield { keyId, version, key }
  }

  /** Creates a new random key (version 1). Throws if the name is taken. */
  async generateKey(name: string): Promise<KeyId> {
    const id = checkName(name)
    if (this.#keys.has(id)) throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `key ${name} exists`)
    this.#put(id, 1, generateKey())
    await this.#changed(id)
    return id
  }

  /** Adds a new version of `name`; new writes use it. Returns the new version number. */
  async rotateKey(name: string): Promise<number> {
    const id = checkName(name)
    const next = this.#keys.has(id) ? this.current(id).version + 1 : 1
    this.#put(id, next, generateKey())
    await this.#changed(id)
    return next
  }

  /**
   * Imports a password-protected key blob (from `createSymmetricEncryptedPrivateKey` or
   * {@link KeyBag.exportKey}) under `name`. Fails with `WEFT_WRONG_PASSWORD` and changes nothing
   * when the password is wrong.
   */
  async importKey(name: string, blob: Uint8Array, password: string): Promise<KeyId> {
    const id = checkName(name)
    const { plaintext } = openWithPassword(Domain.keyBlob, blob, password)
    return this.addVersions(id, decodeKeyVersions(plaintext))
  }

  /** Exports every version of a key as a password-protected blob. */
  async exportKey(name: string, password: string, kdf: KdfParams = DEFAULT_KDF): Promise<Uint8Array> {
    const versions = this.versions(name)
    if (versions.length === 0) throw new WeftError(ErrorCodes.KEY_NOT_FOUND, `no key named ${name}`)
    return protectKeyVersions(versions, password, kdf)
  }

  /**
   * Adds versions received from elsewhere (a password blob or a sealed hand-off). If the name is
   * already held, the incoming versions must include one we hold, byte for byte (same key, newer
   * versions); a different key under a held name or version is refused with `WEFT_INVALID_ARGUMENT`.
   */
  async addVersions(keyId: KeyId, versions: readonly KeyVersion[]): Promise<KeyId> {
    checkName(keyId)
    const held = this.#keys.get(keyId)
    if (
      held &&
      !versions.some((v) => {
        const k = held.get(v.version)
        return k !== undefined && constantTimeEqual(k, v.key)
      })
    ) {
      // No version in common: a different key that happens to share the name. Adding it would let
      // whoever sent it choose the key our next writes use.
      throw new WeftError(
        ErrorCodes.INVALID_ARGUMENT,
        `the key name ${keyId} is in use by a different key; import it under another name`,
      )
    }
    for (const v of versions) {
      const existing = this.get(keyId, v.version)
      if (existing && !constantTimeEqual(existing, v.key)) {
        throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `key ${keyId} v${v.version} differs from the one held`)
      }
    }
    for (const v of versions) this.#put(keyId, v.version, v.key)
    await this.#changed(keyId)
    return keyId
  }

  /** Subscribes to key additions; returns an unsubscribe function. */
  subscribe(listener: KeyBagListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #put(id: KeyId, version: number, key: Uint8Array): void {
    let versions = this.#keys.get(id)
    if (!versions) this.#keys.set(id, (versions = new Map()))
    versions.set(version, key)
  }

  async #changed(id: KeyId): Promise<void> {
    await this.#onPersist?.()
    await Promise.all([...this.#listeners].map((l) => l(id)))
  }
}

/** Wraps key versions in a password box (Argon2id + committed XChaCha20-Poly1305). */
export function protectKeyVersions(versions: readonly KeyVersion[], password: string, kdf: KdfParams): Uint8Array {
  return sealWithPasswordKey(Domain.keyBlob, encodeKeyVersions(versions), newPasswordKey(password, kdf))
}

function checkName(name: string): KeyId {
  if (!KEY_NAME.test(name)) {
    throw new WeftError(
      ErrorCodes.INVALID_ARGUMENT,
      `key names are 1-64 of [A-Za-z0-9._-], got ${JSON.stringify(name)}`,
    )
  }
  return asKeyId(name)
}
