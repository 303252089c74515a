import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import type { Metric } from '../tracking/types.js'
import type { LogBatchInput } from '../tracking/tracking-store.js'

/** What the buffer needs of a tracking store. */
export interface MetricSink {
  logBatch(runId: string, input: LogBatchInput): Promise<void>
}

/** A one-shot timer; injected by tests so the time-based flush runs without waiting. */
export interface TimerScheduler {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** Where a buffer asks to be flushed before the process exits; `Keel` shares one listener among its runs. */
export interface ExitHooks {
  add(buffer: MetricBuffer): void
  delete(buffer: MetricBuffer): void
}

export interface MetricBufferOptions {
  sink: MetricSink
  runId: string
  clock?: Clock
  /** Flush this long after the first buffered point at the latest. Default 1000 ms. */
  flushIntervalMs?: number
  /** Points per `logBatch` call and the count that triggers a flush. Default (and MLflow's maximum) 1000. */
  batchSize?: number
  /** Refuse new points (throwing the last flush error) once this many wait after a failed flush. */
  maxBufferedPoints?: number
  scheduler?: TimerScheduler
  /** Defaults to a `process.on('beforeExit')` listener held while points wait. */
  exitHooks?: ExitHooks
  /** Told about a background flush that failed; the points stay buffered either way. */
  onError?: (error: unknown) => void
}

const unrefScheduler: TimerScheduler = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms)
    // A training script must be able to exit while points wait; beforeExit flushes them then.
    handle.unref()
    return handle
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

/**
 * Buffers metric points of one run and sends them through `logBatch` in chunks: when a batch is full, a
 * flush interval after the first waiting point, on `flush()`/`end()` and before the process exits.
 * A failed flush puts its points back (in order) and the error comes out of the next `flush()` if it
 * fails again, so points are never dropped silently.
 */
export class MetricBuffer {
  private readonly sink: MetricSink
  private readonly runId: string
  private readonly clock: Clock
  private readonly flushIntervalMs: number
  private readonly batchSize: number
  private readonly maxBufferedPoints: number
  private readonly scheduler: TimerScheduler
  private readonly exitHooks: ExitHooks
  private readonly onError: ((error: unknown) => void) | undefined
  private pending: Metric[] = []
  private inFlight: Promise<void> | undefined
  private timer: unknown
  private lastError: unknown
  private hooked = false
  private sent = 0

  constructor(options: MetricBufferOptions) {
    this.sink = options.sink
    this.runId = options.runId
    this.clock = options.clock ?? systemClock
    this.flushIntervalMs = options.flushIntervalMs ?? 1000
    this.batchSize = Math.max(1, Math.min(options.batchSize ?? 1000, 1000))
    this.maxBufferedPoints = options.maxBufferedPoints ?? 1_000_000
    this.scheduler = options.scheduler ?? unrefScheduler
    this.exitHooks = options.exitHooks ?? processExitHooks()
    this.onError = options.onError
  }

  /** Points waiting to be sent (including those of a flush in flight). */
  get size(): number {
    return this.pending.length
  }

  /** Points the sink has acknowledged. */
  get sentCount(): number {
    return this.sent
  }

  add(key: string, value: number, step = 0, timestamp = this.clock.now()): void {
    if (this.lastError !== undefined && this.pending.length >= this.maxBufferedPoints) {
      throw this.lastError
    }
    this.pending.push({ key, value, timestamp, step })
    if (!this.hooked) {
      this.hooked = true
      this.exitHooks.add(this)
    }
    if (this.pending.length >= this.batchSize) this.kick()
    else if (this.timer === undefined && this.inFlight === undefined) {
      this.timer = this.scheduler.setTimeout(() => {
        this.timer = undefined
        this.kick()
      }, this.flushIntervalMs)
    }
  }

  /** Sends every waiting point; rejects with the sink's error if some could not be sent (they stay buffered). */
  async flush(): Promise<void> {
    // Bounded: each round either sends points or throws; points added meanwhile are sent by later rounds.
    for (let round = 0; round < 1_000_000; round++) {
      if (this.inFlight !== undefined) {
        await this.inFlight.catch(() => {})
        continue
      }
      if (this.pending.length === 0) {
        this.lastError = undefined
        return
      }
      this.inFlight = this.drain()
      try {
        await this.inFlight
      } finally {
        this.inFlight = undefined
      }
    }
  }

  /** A background flush: errors are remembered and reported, never thrown into the caller's loop. */
  private kick(): void {
    if (this.inFlight !== undefined) return
    this.cancelTimer()
    const run = this.drain()
    this.inFlight = run
    run.then(
      () => {
        this.inFlight = undefined
        // Points that arrived during the send: another full batch goes now, a partial one waits for the timer.
        if (this.pending.length >= this.batchSize) this.kick()
        else if (this.pending.length > 0) this.armTimer()
      },
      (error: unknown) => {
        this.inFlight = undefined
        this.lastError = error
        this.onError?.(error)
        // Try again later rather than in a tight loop against a failing server.
        if (this.pending.length > 0) this.armTimer()
      },
    )
  }

  private armTimer(): void {
    if (this.timer !== undefined) return
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = undefined
      this.kick()
    }, this.flushIntervalMs)
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      this.scheduler.clearTimeout(this.timer)
      this.timer = undefined
    }
  }

  /** Sends the waiting points chunk by chunk, in order; on failure the unsent chunk goes back to the front. */
  private async drain(): Promise<void> {
    this.cancelTimer()
    while (this.pending.length > 0) {
      const chunk = this.pending.splice(0, this.batchSize)
      try {
        await this.sink.logBatch(this.runId, { metrics: chunk })
      } catch (error) {
        this.pending = chunk.concat(this.pending)
        throw error
      }
      this.sent += chunk.length
    }
    this.lastError = undefined
    this.unhook()
  }

  private unhook(): void {
    if (this.hooked) {
      this.hooked = false
      this.exitHooks.delete(this)
    }
  }

  /**
   * The process is about to exit: one last attempt (not a loop against a dead server, since the hook is
   * removed first) and a warning that names what was lost when it fails.
   */
  async flushBeforeExit(): Promise<void> {
    this.unhook()
    try {
      await this.close()
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      process.emitWarning(`keel: ${this.pending.length} metric points of run ${this.runId} were not sent: ${message}`)
    }
  }

  /** Flushes and stops the timer; the buffer can still be used (a second close flushes again). */
  async close(): Promise<void> {
    this.cancelTimer()
    try {
      await this.flush()
    } finally {
      this.cancelTimer()
    }
  }
}

/** One `beforeExit` listener per buffer while it holds points; removed as soon as they are sent. */
function processExitHooks(): ExitHooks {
  const listeners = new Map<MetricBuffer, () => void>()
  return {
    add(buffer) {
      const listener = (): void => {
        void buffer.flushBeforeExit()
      }
      listeners.set(buffer, listener)
      process.on('beforeExit', listener)
    },
    delete(buffer) {
      const listener = listeners.get(buffer)
      if (listener !== undefined) process.off('beforeExit', listener)
      listeners.delete(buffer)
    },
  }
}
