interface Pending {
  readonly deadline: number
  readonly reject: (error: unknown) => void
}

/**
 * The request timeout without a timer per request: pending requests are kept in arrival order (every request
 * gets the same timeout, so that is deadline order too) and one interval, running only while something is
 * pending, fails those whose deadline passed — at most a tenth of the timeout late (at most 100 ms).
 */
export class DeadlineSweep {
  private readonly pending = new Set<Pending>()
  private timer: NodeJS.Timeout | undefined
  private readonly periodMs: number

  constructor(
    private readonly timeoutMs: number,
    /** The error a request that timed out fails with. */
    private readonly timedOut: () => Error,
  ) {
    this.periodMs = Math.max(1, Math.min(100, Math.ceil(timeoutMs / 10)))
  }

  race<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { deadline: Date.now() + this.timeoutMs, reject }
      this.pending.add(entry)
      if (this.timer === undefined) this.start()
      promise.then(
        (value) => {
          this.pending.delete(entry)
          resolve(value)
        },
        (error: unknown) => {
          this.pending.delete(entry)
          reject(error)
        },
      )
    })
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  private start(): void {
    this.timer = setInterval(() => this.sweep(), this.periodMs)
    this.timer.unref()
  }

  private sweep(): void {
    const now = Date.now()
    for (const entry of this.pending) {
      if (entry.deadline > now) break
      this.pending.delete(entry)
      entry.reject(this.timedOut())
    }
    if (this.pending.size === 0) this.close()
  }
}

