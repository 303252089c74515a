import type { Worker } from 'node:worker_threads'
import { startWorker } from '../core/start-worker.js'
import { invalidParameter, KeelError } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import type { XgboostPredictorOptions } from '../models/formats/xgboost.js'
import { XgboostPredictor } from '../models/formats/xgboost.js'
import { XgboostFastMargins } from './xgboost-fast.js'

export interface XgboostWorkerInit {
  json: string
  options: XgboostPredictorOptions
}

/**
 * One batch: `rows` inputs column-major in float32 (`input`, feature f at `f * rows`), margins written
 * row-major into `output`. Threads take `chunk` rows at a time from `next` (an Atomics counter) until none are
 * left, so a busy core simply takes fewer chunks.
 */
export interface XgboostWorkerJob {
  input: SharedArrayBuffer
  output: SharedArrayBuffer
  next: SharedArrayBuffer
  rows: number
  chunk: number
}

/** Rows per claim: small enough to balance two cores, large enough that the counter is not contended. */
const CHUNK = 4096

/**
 * Scores XGBoost margins on `threads` threads: this thread plus `threads - 1` workers, each with its own copy
 * of the compiled trees. The batch's features are copied once into shared memory as float32 (the values
 * XGBoost compares, so nothing changes; half the bytes of float64), and every thread, this one included
 * (reading the frame's own columns), claims chunks of rows from an Atomics counter and writes their margins
 * into one shared buffer: the work follows each thread's real speed.
 */
export class XgboostScorerPool {
  private constructor(
    private readonly workers: Worker[],
    private readonly predictor: XgboostPredictor,
    private readonly fast: XgboostFastMargins | undefined,
  ) {}

  static async start(json: string, options: XgboostPredictorOptions, threads: number): Promise<XgboostScorerPool> {
    if (!Number.isInteger(threads) || threads < 1) throw invalidParameter(`threads must be a positive integer, got ${threads}.`)
    const predictor = XgboostPredictor.fromJson(json, options)
    const init: XgboostWorkerInit = { json, options }
    const workers = Array.from({ length: threads - 1 }, () => startWorker(import.meta.url, 'xgboost-worker', init))
    try {
      await Promise.all(workers.map((w) => nextMessage(w)))
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()))
      throw error
    }
    return new XgboostScorerPool(workers, predictor, XgboostFastMargins.compile(predictor))
  }

  async margins(frame: Frame): Promise<Float64Array> {
    const n = frame.rows
    const features = this.predictor.features
    const groups = this.predictor.model.groups
    const missing = features.filter((f) => !frame.has(f))
    if (missing.length > 0) throw invalidParameter(`The data lacks feature(s) ${missing.map((m) => `'${m}'`).join(', ')} of the XGBoost model.`)
    const fast = this.fast
    // Too few rows to share, or trees too deep for the fast layout: score here.
    if (this.workers.length === 0 || n < 2 * CHUNK || fast === undefined) return fast === undefined ? this.predictor.predictMargin(frame) : fast.margins(frame)
    const columns = fast.columns(frame)
    const input = new SharedArrayBuffer(features.length * n * 4)
    for (let f = 0; f < features.length; f++) new Float32Array(input, f * n * 4, n).set(columns[f]!)
    const output = new SharedArrayBuffer(n * groups * 8)
    const next = new SharedArrayBuffer(4)
    const job: XgboostWorkerJob = { input, output, next, rows: n, chunk: CHUNK }
    const jobs = this.workers.map((worker) => {
      const done = nextMessage(worker)
      worker.postMessage(job)
      return done
    })
    const out = new Float64Array(output)
    const counter = new Int32Array(next)
    for (let start = Atomics.add(counter, 0, CHUNK); start < n; start = Atomics.add(counter, 0, CHUNK)) {
      fast.forest.margins(columns, start, Math.min(n, start + CHUNK), out, start)
    }
    await Promise.all(jobs)
    return out
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}

function nextMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      cleanup()
      const m = message as { error?: string }
      if (typeof m === 'object' && m !== null && typeof m.error === 'string') reject(new KeelError('INTERNAL_ERROR', `scoring worker failed: ${m.error}`))
      else resolve(message)
    }
    const onError = (error: Error): void => {
      cleanup()
      reject(error)
    }
    const cleanup = (): void => {
      worker.off('message', onMessage)
      worker.off('error', onError)
    }
    worker.on('message', onMessage)
    worker.on('error', onError)
  })
}
