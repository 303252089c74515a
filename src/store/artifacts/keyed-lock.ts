/**
 * In-process mutual exclusion per key: `run(key, fn)` waits for earlier holders of the same key.
 * Keys that nobody holds cost nothing, so it can be keyed by content digest.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>()

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key)
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const tail = previous === undefined ? held : previous.then(() => held)
    this.#tails.set(key, tail)
    try {
      if (previous !== undefined) await previous
      return await fn()
    } finally {
      release()
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    }
  }
}
