/**
 * Bounds of presence messages. A message is small by design (a cursor, a name, a colour): the
 * relay refuses larger ones, and a peer refuses them before it decodes anything.
 */
export const PRESENCE_LIMITS = {
  /** Largest encoded presence message, signature and ciphertext included. */
  maxMessageBytes: 4 * 1024,
  /** Largest encoded state a device may announce (before encryption). */
  maxStateBytes: 2 * 1024,
  /** Most peers one {@link Presence} tracks at once; messages from further devices are ignored. */
  maxPeers: 1_024,
  /** How far ahead of the receiver's clock a message's time may be. */
  maxClockSkewMs: 60_000,
} as const

/** Default time after which a peer that sent nothing new is gone. */
export const DEFAULT_PRESENCE_TIMEOUT_MS = 30_000
