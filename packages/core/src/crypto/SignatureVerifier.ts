/** One plain Ed25519 check: does `signature` by `publicKey` verify over `message`? */
export interface SignatureCheck {
  /** The exact bytes signed (for a Weft signature, already domain-separated). */
  readonly message: Uint8Array
  readonly signature: Uint8Array
  readonly publicKey: Uint8Array
}

/**
 * Checks many Ed25519 signatures at once, somewhere other than the calling thread (a pool of Node
 * worker threads or of Web Workers). It must accept exactly what `verifyEd25519` accepts (Weft's
 * one rule, then libsodium), so whether a batch went through it never changes what is authentic.
 */
export interface SignatureVerifier {
  /** One verdict per check, in order. Never rejects for a bad signature: that is `false`. */
  verifyMany(checks: readonly SignatureCheck[]): Promise<boolean[]>
  /**
   * The fewest signatures worth sending to it: smaller batches are checked on the calling thread,
   * where a round trip to another thread would cost more than it saves.
   */
  readonly minBatch: number
}
