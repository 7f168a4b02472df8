/** C0 controls, DEL and C1 controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u
/** A surrogate without its partner (TextEncoder would silently write U+FFFD for it). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Why `text` is not canonical, or `undefined` when it is. Canonical text has exactly one UTF-8
 * encoding that decodes back to it and no look-alike: well-formed (no lone surrogate), Unicode
 * NFC, no byte-order mark (U+FEFF, anywhere), no control character (C0, DEL, C1). Names that are
 * compared as identities (tenants, databases, key ids) must be canonical, so two names that read
 * the same are the same bytes.
 */
export function canonicalTextProblem(text: string): string | undefined {
  if (LONE_SURROGATE.test(text)) return 'a lone surrogate'
  if (text.includes('\ufeff')) return 'a byte-order mark (U+FEFF)'
  if (CONTROL.test(text)) return 'a control character'
  if (text.normalize('NFC') !== text) return 'text not in Unicode NFC'
  return undefined
}
