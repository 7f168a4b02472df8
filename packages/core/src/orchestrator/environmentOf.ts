/**
 * The `environment` part of a structured tenant id (`org:server:project:environment:codeHash`,
 * with `\` escaping `:` and `\`), or `undefined` when the id is not a five-part scope or the part
 * is empty.
 */
export function environmentOf(tenantId: string): string | undefined {
  const parts: string[] = []
  let current = ''
  for (let i = 0; i < tenantId.length; i++) {
    const c = tenantId[i]!
    if (c === '\\' && i + 1 < tenantId.length) current += tenantId[++i]
    else if (c === ':') {
      parts.push(current)
      current = ''
    } else current += c
  }
  parts.push(current)
  return parts.length === 5 && parts[3] ? parts[3] : undefined
}
