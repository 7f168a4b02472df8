/**
 * Runs `read` once for every caller asking for `key` in the same turn of the event loop, and
 * gives them all its result. The read starts in that turn, after whatever made each caller ask
 * (an append that woke subscribers, say), so sharing it is as good as each making its own; a
 * caller in a later turn starts a new read. `shared` holds the reads of the current turn.
 */
export function shareInTurn<T>(shared: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
  const running = shared.get(key)
  if (running) return running
  const p = read()
  shared.set(key, p)
  setImmediate(() => {
    if (shared.get(key) === p) shared.delete(key)
  })
  return p
}
