import { systemClock } from '../core/clock.js'
import type { Clock } from '../core/clock.js'
import { KeelError, invalidParameter } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import type { Scores, ScoringModel } from '../scoring/scoring-model.js'
import { concatFrames, sameShape, sliceScores } from './frame-concat.js'
import type { BatchingOptions } from './types.js'

/**
 * Adaptive batching for one served version, Triton-style (../shared/reference/serving.md §3.1): requests queue;
 * whenever the scorer is free, the queued requests up to `maxBatchRows` rows are stacked into one frame and
 * scored in one call, and the answer is cut back per request. There is no latency model: batches grow by
 * themselves under load because requests pile up while a batch runs; `maxWaitMs` only lets a lone request wait a
 * little for company when the scorer is idle.
 *
 * Overload is answered, never absorbed: a full queue, or a request whose deadline passes while queued, gets
 * TEMPORARILY_UNAVAILABLE (503) with a `retryAfterSeconds` detail, and is never scored.
 */

export interface BatcherHooks {
  /** Called once per scorer call with its row count. */
  onBatch?(rows: number): void
  /** Called whenever the number of queued requests changes. */
  onQueue?(depth: number): void
}

export interface BatcherRuntime {
  /** Deadlines are compared with this clock (default: the system clock). */
  clock?: Clock
  /** Batches scored at once (default 1: onnxruntime and the XGBoost pool already use every core). */
  maxInFlight?: number
}

interface Pending {
  readonly frame: Frame
  readonly deadline: number
  readonly enqueuedAt: number
  readonly resolve: (scores: Scores) => void
  readonly reject: (error: unknown) => void
}

export class Batcher {
  private readonly scorer: ScoringModel
  private readonly maxBatchRows: number
  private readonly maxWaitMs: number
  private readonly maxQueue: number
  private readonly maxInFlight: number
  private readonly clock: Clock
  private readonly hooks: BatcherHooks
  /** FIFO: live entries are `queue[head..]`; the prefix is compacted away now and then. */
  private queue: Pending[] = []
  private head = 0
  private queuedRows = 0
  private inFlight = 0
  private closing = false
  private idle: Array<() => void> = []
  private waitTimer: NodeJS.Timeout | undefined
  private expiryTimer: NodeJS.Timeout | undefined
  private expiryAt = Number.POSITIVE_INFINITY
  private pumpScheduled = false
  /** Smoothed ms per batch, for Retry-After estimates. */
  private batchMs = 1

  constructor(scorer: ScoringModel, options: BatchingOptions, hooks: BatcherHooks = {}, runtime: BatcherRuntime = {}) {
    checkInteger('maxBatchRows', options.maxBatchRows, 1)
    checkInteger('maxQueue', options.maxQueue, 1)
    if (!Number.isFinite(options.maxWaitMs) || options.maxWaitMs < 0) {
      throw invalidParameter(`batching 'maxWaitMs' must be a number of milliseconds ≥ 0; got ${options.maxWaitMs}.`)
    }
    const maxInFlight = runtime.maxInFlight ?? 1
    checkInteger('maxInFlight', maxInFlight, 1)
    this.scorer = scorer
    this.maxBatchRows = options.maxBatchRows
    this.maxWaitMs = options.maxWaitMs
    this.maxQueue = options.maxQueue
    this.maxInFlight = maxInFlight
    this.clock = runtime.clock ?? systemClock
    this.hooks = hooks
  }

  /** Requests waiting for a batch. */
  get depth(): number {
    return this.queue.length - this.head
  }

  /** Scores `frame` as part of a batch; `deadline` is epoch ms (by `clock`) after which it must not wait any more. */
  score(frame: Frame, deadline: number): Promise<Scores> {
    if (this.closing) {
      return Promise.reject(new KeelError('TEMPORARILY_UNAVAILABLE', 'The model is shutting down; retry on another replica.', { details: { retryAfterSeconds: 1 } }))
    }
    const now = this.clock.now()
    if (deadline <= now) return Promise.reject(this.unavailable('The request deadline passed before it could be queued'))
    if (this.depth >= this.maxQueue) {
      return Promise.reject(this.unavailable(`The model's queue is full (${this.maxQueue} requests)`))
    }
    return new Promise<Scores>((resolve, reject) => {
      this.queue.push({ frame, deadline, enqueuedAt: now, resolve, reject })
      this.queuedRows += frame.rows
      this.hooks.onQueue?.(this.depth)
      if (deadline < this.expiryAt) this.armExpiry(deadline, now)
      this.schedulePump()
    })
  }

  /** Stops taking work, scores everything already queued, and resolves once the last batch is answered. */
  async close(): Promise<void> {
    this.closing = true
    this.clearWait()
    this.pump()
    if (this.depth > 0 || this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve))
    this.clearExpiry()
  }

  /**
   * Coalesces calls made in the same tick (a loop of `score()` calls, several sockets read in one poll) into one
   * decision, so a maxWaitMs of 0 still batches what arrived together.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    queueMicrotask(() => {
      this.pumpScheduled = false
      this.pump()
    })
  }

  /** Dispatches batches while the scorer has room and the queue has a batch worth sending now. */
  private pump(waitOver = false): void {
    while (this.inFlight < this.maxInFlight && this.depth > 0) {
      const oldest = this.queue[this.head]!
      const waited = this.clock.now() - oldest.enqueuedAt
      const full = this.queuedRows >= this.maxBatchRows
      if (!full && !waitOver && !this.closing && this.maxWaitMs > 0 && waited < this.maxWaitMs) {
        this.armWait(this.maxWaitMs - waited)
        return
      }
      this.clearWait()
      this.dispatch(this.take())
    }
    if (this.depth === 0 && this.inFlight === 0) this.settleIdle()
  }

  /** Takes the FIFO prefix that fits in one batch (the first request always, even when larger than the cap). */
  private take(): Pending[] {
    const now = this.clock.now()
    const batch: Pending[] = []
    let rows = 0
    while (this.head < this.queue.length) {
      const next = this.queue[this.head]!
      if (next.deadline <= now) {
        this.dequeue()
        next.reject(this.unavailable('The request waited in the queue past its deadline'))
        continue
      }
      if (batch.length > 0 && (rows + next.frame.rows > this.maxBatchRows || !sameShape(batch[0]!.frame, next.frame))) break
      this.dequeue()
      batch.push(next)
      rows += next.frame.rows
      if (rows >= this.maxBatchRows) break
    }
    this.compact()
    this.hooks.onQueue?.(this.depth)
    return batch
  }

  private dequeue(): void {
    this.queuedRows -= this.queue[this.head]!.frame.rows
    this.head++
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }

  private dispatch(batch: Pending[]): void {
    if (batch.length === 0) return
    this.inFlight++
    const started = performance.now()
    let rows = 0
    for (const p of batch) rows += p.frame.rows
    this.hooks.onBatch?.(rows)
    let scoring: Promise<Scores>
    try {
      scoring = this.scorer.score(batch.length === 1 ? batch[0]!.frame : concatFrames(batch.map((p) => p.frame)))
    } catch (error) {
      scoring = Promise.reject(error)
    }
    scoring
      .then(
        (scores) => {
          if (batch.length === 1) {
            batch[0]!.resolve(scores)
            return
          }
          const parts = sliceScores(scores, batch.map((p) => p.frame.rows))
          for (let i = 0; i < batch.length; i++) batch[i]!.resolve(parts[i]!)
        },
        (error: unknown) => {
          for (const p of batch) p.reject(error)
        },
      )
      .catch((error: unknown) => {
        // sliceScores refused the model's answer: only this batch fails.
        for (const p of batch) p.reject(error)
      })
      .finally(() => {
        this.batchMs = 0.8 * this.batchMs + 0.2 * (performance.now() - started)
        this.inFlight--
        this.pump()
      })
  }

  private armWait(ms: number): void {
    if (this.waitTimer !== undefined) return
    // The timer, not the clock, ends the wait: an injected clock that does not move cannot stall a batch.
    this.waitTimer = setTimeout(() => {
      this.waitTimer = undefined
      this.pump(true)
    }, Math.max(0, Math.ceil(ms)))
  }

  private clearWait(): void {
    if (this.waitTimer === undefined) return
    clearTimeout(this.waitTimer)
    this.waitTimer = undefined
  }

  /** One timer for the earliest queued deadline (deadlines mostly arrive in order, so re-arming is rare). */
  private armExpiry(at: number, now: number): void {
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer)
    this.expiryAt = at
    // Unref'd: a stale expiry timer must not keep the process alive; queued work is held by the scorer or the wait timer.
    this.expiryTimer = setTimeout(() => this.expire(), Math.max(0, at - now)).unref()
  }

  private clearExpiry(): void {
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer)
    this.expiryTimer = undefined
    this.expiryAt = Number.POSITIVE_INFINITY
  }

  /** Rejects queued requests whose deadline passed and re-arms for the earliest one left. */
  private expire(): void {
    this.expiryTimer = undefined
    this.expiryAt = Number.POSITIVE_INFINITY
    const now = this.clock.now()
    const kept: Pending[] = []
    const expired: Pending[] = []
    let next = Number.POSITIVE_INFINITY
    for (let i = this.head; i < this.queue.length; i++) {
      const p = this.queue[i]!
      if (p.deadline <= now) {
        expired.push(p)
        this.queuedRows -= p.frame.rows
      } else {
        kept.push(p)
        if (p.deadline < next) next = p.deadline
      }
    }
    this.queue = kept
    this.head = 0
    if (next !== Number.POSITIVE_INFINITY) this.armExpiry(next, now)
    if (expired.length > 0) {
      this.hooks.onQueue?.(this.depth)
      for (const p of expired) p.reject(this.unavailable('The request waited in the queue past its deadline'))
    }
    this.pump()
  }

  private settleIdle(): void {
    if (this.idle.length === 0) return
    const waiting = this.idle
    this.idle = []
    for (const resolve of waiting) resolve()
  }

  /** 503 with a Retry-After estimated from the work ahead: queued batches plus the running ones. */
  private unavailable(why: string): KeelError {
    const batchesAhead = Math.ceil(this.queuedRows / this.maxBatchRows) + this.inFlight
    const retryAfterSeconds = Math.max(1, Math.ceil((batchesAhead * this.batchMs) / 1000))
    return new KeelError('TEMPORARILY_UNAVAILABLE', `${why}; retry in ${retryAfterSeconds} s or lower the request rate.`, {
      details: { retryAfterSeconds, queued: this.depth },
    })
  }
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw invalidParameter(`batching '${name}' must be an integer ≥ ${min}; got ${value}.`)
  }
}
