/** The requests a server is answering now, so a graceful shutdown can wait for them. */
export class InFlight {
  #count = 0
  #idle: (() => void)[] = []

  /** How many are in flight. */
  get count(): number {
    return this.#count
  }

  /** Counts one until `done` is called (once; later calls do nothing). */
  begin(): () => void {
    this.#count++
    let ended = false
    return () => {
      if (ended) return
      ended = true
      if (--this.#count === 0) for (const r of this.#idle.splice(0)) r()
    }
  }

  /** Resolves true once none is in flight, or false after `timeoutMs` with some still going. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs)
      timer.unref?.()
      this.#idle.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }
}
