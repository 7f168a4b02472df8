/** Named, versioned symmetric keys and the ways they travel: password blobs and sealed hand-offs. */
export { KeyBag, DEFAULT_KEY_ID, protectKeyVersions } from './KeyBag.ts'
export type { KeyBagListener } from './KeyBag.ts'
export type { KeyVersion } from './keyMaterial.ts'
export { newPasswordKey, sealWithPasswordKey, openWithPassword } from './passwordBox.ts'
export type { PasswordKey } from './passwordBox.ts'
export { sealKeyVersions, openSealedKeyVersions } from './sealedKey.ts'
export type { OpenedSealedKey } from './sealedKey.ts'
