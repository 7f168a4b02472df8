import { ErrorCodes, WeftError } from '@weft/core'

/**
 * Which server origins a sign-in may be signed for. A client signs its challenge for the origin of
 * the URL it connects to (and for the server's identity, which is checked apart); a server accepts
 * only its own origins, so a server that asks a client to sign — even one that lies about its
 * identity — cannot use the signature to sign in elsewhere as that client.
 *
 * With `publicUrls`: exactly those origins, and (with `baseDomain`) the tenant subdomains of one of
 * them, same scheme and port. Without: the origin must name the host the request was sent to (its
 * `Host` header), which binds a sign-in to a name but not to this machine, since whoever sends the
 * request chooses the header; deployments reachable by untrusted servers set `publicUrls`.
 */
export function signInOrigins(options: {
  publicUrls?: readonly string[]
  baseDomain?: string
}): (origin: unknown, host: string | undefined) => boolean {
  const own = options.publicUrls?.map((u) => {
    try {
      return new URL(u)
    } catch {
      throw new WeftError(ErrorCodes.INVALID_ARGUMENT, `publicUrls: not a URL: ${u}`)
    }
  })
  const base = options.baseDomain?.toLowerCase()
  return (origin, host) => {
    if (typeof origin !== 'string' || origin.length > 512) return false
    let signed: URL
    try {
      signed = new URL(origin)
    } catch {
      return false
    }
    if (signed.origin !== origin) return false // only a bare origin, in its canonical form
    if (!own) return host !== undefined && sameHost(signed, host)
    return own.some((u) => u.origin === origin || (base !== undefined && isTenantSubdomain(signed, u, base)))
  }
}

/** `acme.sync.example.com` under `https://sync.example.com` with base domain `sync.example.com`. */
function isTenantSubdomain(signed: URL, own: URL, base: string): boolean {
  if (signed.protocol !== own.protocol || signed.port !== own.port || own.hostname !== base) return false
  const label = signed.hostname.slice(0, -(base.length + 1))
  return signed.hostname.endsWith(`.${base}`) && label.length > 0 && !label.includes('.')
}

function sameHost(signed: URL, host: string): boolean {
  try {
    return new URL(`${signed.protocol}//${host}`).host === signed.host
  } catch {
    return false
  }
}
