import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import { invalidParameter } from '../core/errors.js'
import type { PredictionStore } from '../monitoring/prediction-store.js'
import type { CapturedPrediction } from './types.js'

/** The counters capture reports (`ServingMetrics` has them). */
export interface CaptureMetrics {
  captureDropped(n: number): void
  captureWritten(n: number): void
}

export interface PredictionCaptureOptions {
  /** Fraction of predictions to capture, in [0, 1] (default 1). Callers ask `sampled()` per request. */
  sampleRate?: number
  /** Records waiting in the buffer at most (default 10,000); beyond it new offers are dropped and counted. */
  maxBuffered?: number
  /** Records per store call at most (default 500); a full batch is written without waiting for the timer. */
  batchSize?: number
  /** A partial batch waits at most this long, in ms (default 200). */
  flushMs?: number
  /** Retries of a failed store write before its batch is dropped and counted (default 4). */
  maxRetries?: number
  /** First retry delay in ms, doubled each retry, with jitter (default 100). */
  retryBaseMs?: number
  /** How long `close()` may spend writing what is buffered, in ms (default 5,000); the rest is dropped and counted. */
  closeTimeoutMs?: number
  clock?: Clock
  metrics?: CaptureMetrics
  /** Told about every failed store write (each attempt); never awaited. */
  onError?(error: unknown): void
  /** Randomness of `sampled()` and of the backoff jitter (default Math.random). */
  random?: () => number
}

/**
 * Moves captured predictions from the request path to the prediction store without ever slowing the
 * request path: `offer()` puts a record in a fixed ring buffer (O(1), no await, no throw); a background
 * writer sends batches to the store, one call at a time. When the store is slower than traffic the
 * buffer fills and new offers are dropped and counted; a write that fails is retried with backoff a few
 * times, then its batch is dropped and counted. Nothing is lost silently: every offered record ends up
 * in `written` or `dropped` (or is still buffered). The store ignores ids it already has, so a retry of a
 * batch that was in fact committed stores nothing twice.
 *
 * Memory is bounded by `maxBuffered` records in the buffer plus one batch in flight.
 */
export class PredictionCapture {
  private readonly store: PredictionStore
  private readonly sampleRate: number
  private readonly maxBuffered: number
  private readonly batchSize: number
  private readonly maxRetries: number
  private readonly retryBaseMs: number
  private readonly closeTimeoutMs: number
  private readonly clock: Clock
  private readonly metrics: CaptureMetrics | undefined
  private readonly onError: ((error: unknown) => void) | undefined
  private readonly random: () => number

  private readonly ring: (CapturedPrediction | undefined)[]
  private head = 0
  private size = 0
  private writing: Promise<void> | undefined
  private kickScheduled = false
  /** Records at the head of the buffer to write even as a partial batch (they have waited flushMs, or flush() asked). */
  private owed = 0
  private closed = false
  private closing: Promise<void> | undefined
  private deadline = Number.POSITIVE_INFINITY
  private readonly timer: ReturnType<typeof setInterval>
  private droppedCount = 0
  private writtenCount = 0

  constructor(store: PredictionStore, options: PredictionCaptureOptions = {}) {
    this.store = store
    this.sampleRate = checked(options.sampleRate ?? 1, 'sampleRate', (v) => v >= 0 && v <= 1, 'a number from 0 to 1')
    this.maxBuffered = checked(options.maxBuffered ?? 10_000, 'maxBuffered', isPositiveInteger, 'a positive integer')
    this.batchSize = checked(options.batchSize ?? 500, 'batchSize', isPositiveInteger, 'a positive integer')
    const flushMs = checked(options.flushMs ?? 200, 'flushMs', isPositiveInteger, 'a positive integer (ms)')
    this.maxRetries = checked(options.maxRetries ?? 4, 'maxRetries', (v) => Number.isInteger(v) && v >= 0, 'an integer of 0 or more')
    this.retryBaseMs = checked(options.retryBaseMs ?? 100, 'retryBaseMs', (v) => Number.isFinite(v) && v >= 0, 'a number of 0 or more (ms)')
    this.closeTimeoutMs = checked(options.closeTimeoutMs ?? 5_000, 'closeTimeoutMs', (v) => Number.isFinite(v) && v >= 0, 'a number of 0 or more (ms)')
    this.clock = options.clock ?? systemClock
    this.metrics = options.metrics
    this.onError = options.onError
    this.random = options.random ?? Math.random
    this.ring = new Array<CapturedPrediction | undefined>(this.maxBuffered).fill(undefined)
    this.timer = setInterval(() => this.kick(true), flushMs)
    // Capture must never keep a process alive on its own; close() flushes on shutdown.
    this.timer.unref?.()
  }

  /** Whether to capture this request (decide once per request, then offer each of its rows). */
  sampled(): boolean {
    if (this.sampleRate >= 1) return true
    if (this.sampleRate <= 0) return false
    return this.random() < this.sampleRate
  }

  /** Buffers one prediction for writing; drops and counts it when the buffer is full or capture is closed. */
  offer(prediction: CapturedPrediction): void {
    try {
      if (this.closed || this.size >= this.maxBuffered) {
        this.drop(1)
        return
      }
      this.ring[(this.head + this.size) % this.maxBuffered] = prediction
      this.size++
      if (this.size >= this.batchSize && this.writing === undefined && !this.kickScheduled) {
        // Start the writer off the caller's stack: the store call may do synchronous work (SQLite).
        this.kickScheduled = true
        setImmediate(() => {
          this.kickScheduled = false
          this.kick(false)
        })
      }
    } catch {
      // offer() must never throw into a request; a failure here is a lost record, so count it.
      this.drop(1)
    }
  }

  /** Predictions dropped so far (buffer full, closed, or their write failed after every retry). */
  get dropped(): number {
    return this.droppedCount
  }

  /** Predictions the store has acknowledged. */
  get written(): number {
    return this.writtenCount
  }

  /** Predictions waiting in the buffer (not counting the batch being written). */
  get buffered(): number {
    return this.size
  }

  /** Resolves once everything offered before the call is written or dropped. */
  async flush(): Promise<void> {
    // The writer loops until the buffer is empty, so one pass (started now if idle) covers every earlier offer.
    this.kick(true)
    while (this.writing !== undefined) await this.writing
  }

  /** Stops accepting offers and writes what is buffered, within `closeTimeoutMs`; the rest is dropped and counted. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true
      clearInterval(this.timer)
      this.deadline = this.clock.now() + this.closeTimeoutMs
      let timeout: ReturnType<typeof setTimeout> | undefined
      const expired = new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, this.closeTimeoutMs)
        timeout.unref?.()
      })
      await Promise.race([this.flush(), expired])
      clearTimeout(timeout)
      // A store call still hanging past the deadline: what is left in the buffer is not going to be written.
      this.drop(this.takeAll())
    })()
    return this.closing
  }

  /**
   * Starts the writer if it is idle. `all`: also write the partial batch now buffered; otherwise only full
   * batches go out, so under steady traffic batches stay large instead of one small write per turn.
   */
  private kick(all: boolean): void {
    if (all) this.owed = this.size
    if (this.writing !== undefined || this.size === 0) return
    this.writing = this.writeAll().finally(() => {
      this.writing = undefined
    })
  }

  /** The only writer: full batches, and what is owed, one store call at a time. */
  private async writeAll(): Promise<void> {
    while (this.size >= this.batchSize || (this.size > 0 && this.owed > 0)) {
      if (this.closed && this.clock.now() >= this.deadline) return
      const batch = this.take(this.batchSize)
      this.owed = Math.max(0, this.owed - batch.length)
      await this.writeBatch(batch)
    }
  }

  private async writeBatch(batch: CapturedPrediction[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.appendPredictions(batch)
        this.writtenCount += batch.length
        this.report(() => this.metrics?.captureWritten(batch.length))
        return
      } catch (error) {
        this.report(() => this.onError?.(error))
        const outOfTime = this.closed && this.clock.now() >= this.deadline
        if (attempt >= this.maxRetries || outOfTime) {
          this.drop(batch.length)
          return
        }
        await this.backoff(attempt)
      }
    }
  }

  private backoff(attempt: number): Promise<void> {
    // Exponential with full jitter, so several servers retrying one store do not retry in lockstep.
    const ms = this.retryBaseMs * 2 ** attempt * (0.5 + this.random() / 2)
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms)
      // While closing, a pending retry must not hold the process open past close()'s own timeout.
      if (this.closed) t.unref?.()
    })
  }

  private take(n: number): CapturedPrediction[] {
    const count = Math.min(n, this.size)
    const out = new Array<CapturedPrediction>(count)
    for (let i = 0; i < count; i++) {
      const slot = (this.head + i) % this.maxBuffered
      out[i] = this.ring[slot]!
      this.ring[slot] = undefined
    }
    this.head = (this.head + count) % this.maxBuffered
    this.size -= count
    return out
  }

  private takeAll(): number {
    return this.take(this.size).length
  }

  private drop(n: number): void {
    if (n === 0) return
    this.droppedCount += n
    if (this.metrics === undefined) return
    try {
      this.metrics.captureDropped(n)
    } catch {
      // someone else's code: its failure must not stop capture
    }
  }

  /** Metrics and error hooks are someone else's code: their failure must not stop capture. */
  private report(fn: () => void): void {
    try {
      fn()
    } catch {
      // ignored on purpose
    }
  }
}

function isPositiveInteger(value: number): boolean {
  return Number.isInteger(value) && value >= 1
}

function checked(value: number, name: string, ok: (v: number) => boolean, what: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || !ok(value)) {
    throw invalidParameter(`Invalid value ${String(value)} for PredictionCapture option '${name}': use ${what}.`)
  }
  return value
}
