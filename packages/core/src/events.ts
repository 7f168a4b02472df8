/** A minimal typed event emitter: event names are keys of `Events`, payloads their values. */
export class Emitter<Events extends Record<string, unknown>> {
  readonly #listeners = new Map<keyof Events, Set<(payload: never) => void>>()

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.#listeners.get(event)
    if (!set) this.#listeners.set(event, (set = new Set()))
    set.add(listener as (payload: never) => void)
    return () => set.delete(listener as (payload: never) => void)
  }

  /** Calls every listener of `event`; a throwing listener does not stop the others. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const l of this.#listeners.get(event) ?? []) {
      try {
        ;(l as (p: Events[K]) => void)(payload)
      } catch (err) {
        queueMicrotask(() => {
          throw err
        })
      }
    }
  }
}
