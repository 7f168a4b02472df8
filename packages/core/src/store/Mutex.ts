/** A FIFO async lock: `run` calls execute one at a time, in call order. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(fn, fn)
    this.#tail = result.catch(() => undefined)
    return result
  }
}
