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

/** The store name a {@link sublevelName} came from; undefined when it is not one. */
export function storeNameOf(sublevel: string): string | undefined {
  if (sublevel === '~') return ''
  const bytes: number[] = []
  for (let i = 0; i < sublevel.length;) {
    const ch = sublevel[i]!
    if (ch === '~') {
      const hex = sublevel.slice(i + 1, i + 3)
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined
      bytes.push(parseInt(hex, 16))
      i += 3
    } else if (PLAIN.test(ch)) {
      bytes.push(ch.charCodeAt(0))
      i++
    } else return undefined
  }
  try {
    const name = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes))
    return sublevelName(name) === sublevel ? name : undefined
  } catch {
    return undefined
  }
}
