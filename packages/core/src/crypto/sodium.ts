import sodiumModule from 'libsodium-wrappers-sumo'

/** The libsodium instance. Call {@link ready} once before using any synchronous crypto function. */
export type Sodium = typeof sodiumModule

let initialised = false

/** Resolves once libsodium's WebAssembly has loaded. Safe to call many times. */
export async function ready(): Promise<void> {
  if (initialised) return
  await sodiumModule.ready
  initialised = true
}

/** The loaded libsodium; throws if {@link ready} has not resolved yet. */
export function sodium(): Sodium {
  if (!initialised) throw new Error('Weft crypto used before ready(): await ready() first')
  return sodiumModule
}
