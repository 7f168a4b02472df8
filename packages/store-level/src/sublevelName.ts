/** Characters a store name keeps as they are; everything else is escaped. */
const PLAIN = /^[A-Za-z0-9._\-/:@+=]$/
const utf8 = new TextEncoder()

/**
 * A sublevel name for any store name. Sublevel names may only hold ASCII bytes above `!`, so
 * other characters (and `~`, the escape) become `~` and two hex digits per UTF-8 byte. The
 * mapping is one-to-one, so two store names never share a sublevel.
 */
export function sublevelName(name: string): string {
  if (name === '') return '~'
  let out = ''
  for (const ch of name) {
    if (PLAIN.test(ch)) out += ch
    else for (const b of utf8.encode(ch)) out += `~${b.toString(16).padStart(2, '0')}`
  }
  return out
}

/** The store name a {@link sublevelName} was made from. */
export function storeNameOf(sub: string): string {
  if (sub === '~') return ''
  const bytes: number[] = []
  for (let i = 0; i < sub.length; i++) {
    if (sub[i] === '~') {
      bytes.push(parseInt(sub.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(sub.charCodeAt(i))
  }
  return new TextDecoder().decode(new Uint8Array(bytes))
}
