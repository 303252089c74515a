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

/** One batch slice: inputs column-major over `rows`, margins written row-major at `start * groups`. */
export interface XgboostWorkerJob {
  input: SharedArrayBuffer
  output: SharedArrayBuffer
  rows: number
  start: number
  end: number
}

/**
 * Scores XGBoost margins on `threads` threads: this thread plus `threads - 1` workers. The workers' rows are
 * copied once into shared memory (column-major) and each worker scores a contiguous range with its own copy of
 * the trees into one shared margin buffer, while this thread scores the last range from the frame itself.
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
    const nf = features.length
    const missing = features.filter((f) => !frame.has(f))
    if (missing.length > 0) throw invalidParameter(`The data lacks feature(s) ${missing.map((m) => `'${m}'`).join(', ')} of the XGBoost model.`)
    const k = this.workers.length + 1
    const per = Math.ceil(n / k)
    // Workers take rows [0, split); this thread takes [split, n).
    const split = Math.min(n, per * this.workers.length)
    const input = new SharedArrayBuffer(Math.max(1, split * nf) * 8)
    const columns = new Float64Array(input)
    for (let f = 0; f < nf; f++) columns.set(frame.numeric(features[f]!).subarray(0, split), f * split)
    const output = new SharedArrayBuffer(Math.max(1, n * groups) * 8)
    const jobs: Array<Promise<unknown>> = []
    for (let w = 0; w < this.workers.length; w++) {
      const start = Math.min(split, w * per)
      const end = Math.min(split, start + per)
      if (start >= end) continue
      const worker = this.workers[w]!
      const done = nextMessage(worker)
      const job: XgboostWorkerJob = { input, output, rows: split, start, end }
      worker.postMessage(job)
      jobs.push(done)
    }
    const result = new Float64Array(output, 0, n * groups)
    if (split < n) {
      const own = this.fast === undefined ? this.predictor.predictMargin(frame.slice(split, n)) : this.fast.margins(frame, split, n)
      result.set(own, split * groups)
    }
    await Promise.all(jobs)
    return result
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
