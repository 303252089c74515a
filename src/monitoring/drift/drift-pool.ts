import type { Worker } from 'node:worker_threads'
import { KeelError, invalidParameter, type ErrorCode } from '../../core/errors.js'
import { startWorker } from '../../core/start-worker.js'
import type { Frame } from '../../core/frame.js'
import type { DatasetDriftResult, DriftColumnResult } from '../types.js'
import { runCountsColumn, type NumericColumnJob } from './column-drift.js'
import { planDriftJobs, summarizeDrift, type DriftOptions } from './dataset-drift.js'

interface Reply {
  id: number
  result?: DriftColumnResult | null
  error?: { message: string; code?: string }
}

/**
 * `detectDrift` on worker threads: numeric columns (the sorting work) go one at a time to whichever worker is
 * free; categorical columns (counts, cheap) run in the calling thread meanwhile. Columns are copied to the
 * worker (structured clone), never shared, so callers may reuse their frames at once. Start once, run many
 * reports, close.
 */
export class DriftPool {
  private nextId = 0
  private readonly pending = new Map<number, { resolve: (r: DriftColumnResult | undefined) => void; reject: (e: Error) => void }>()
  private readonly idle: Worker[] = []
  private readonly queue: Array<() => void> = []
  private closed = false

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (reply: Reply) => this.onReply(w, reply))
      w.on('error', (error) => this.failAll(error))
      this.idle.push(w)
    }
  }

  static start(threads = 2): DriftPool {
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw invalidParameter(`threads must be an integer in [1, 64], got ${threads}.`)
    return new DriftPool(Array.from({ length: threads }, () => startWorker(import.meta.url, 'drift-worker', null)))
  }

  async detect(reference: Frame, current: Frame, options: DriftOptions = {}): Promise<DatasetDriftResult> {
    if (this.closed) throw invalidParameter('The drift pool is closed; start a new one.')
    const jobs = planDriftJobs(reference, current, options)
    const results = await Promise.all(
      jobs.map((j) => (j.type === 'numeric' ? this.run(j.job) : Promise.resolve(runCountsColumn(j.job)))),
    )
    return summarizeDrift(results, options)
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.workers.map((w) => w.terminate()))
  }

  private run(job: NumericColumnJob): Promise<DriftColumnResult | undefined> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++
      this.pending.set(id, { resolve, reject })
      const send = (): void => {
        const worker = this.idle.pop()!
        worker.postMessage({ id, job: { ...job, reference: compact(job.reference), current: compact(job.current) } })
      }
      if (this.idle.length > 0) send()
      else this.queue.push(send)
    })
  }

  private onReply(worker: Worker, reply: Reply): void {
    const waiter = this.pending.get(reply.id)
    this.pending.delete(reply.id)
    this.idle.push(worker)
    this.queue.shift()?.()
    if (waiter === undefined) return
    if (reply.error !== undefined) {
      const code = (reply.error.code ?? 'INTERNAL_ERROR') as ErrorCode
      waiter.reject(new KeelError(code, reply.error.message))
    } else waiter.resolve(reply.result ?? undefined)
  }

  private failAll(error: Error): void {
    for (const w of this.pending.values()) w.reject(error)
    this.pending.clear()
  }
}

/** A view over part of a larger buffer would be cloned with all of it; copy just the view. */
function compact(values: Float64Array): Float64Array {
  return values.byteOffset === 0 && values.byteLength === values.buffer.byteLength ? values : values.slice()
}

/** One-off parallel report: starts a pool of `threads` workers, runs, closes. */
export async function detectDriftParallel(reference: Frame, current: Frame, options: DriftOptions & { threads?: number } = {}): Promise<DatasetDriftResult> {
  const pool = DriftPool.start(options.threads ?? 2)
  try {
    return await pool.detect(reference, current, options)
  } finally {
    await pool.close()
  }
}
