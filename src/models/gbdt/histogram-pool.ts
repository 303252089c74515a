import type { Worker } from 'node:worker_threads'
import { startWorker } from '../../core/start-worker.js'
import { KeelError } from '../../core/errors.js'
import { accumulateChunks } from './histogram.js'

/** What each histogram worker receives once: views of the shared buffers, never copies. */
export interface HistogramWorkerInit {
  index: number
  nF: number
  slots: SharedArrayBuffer
  gh: SharedArrayBuffer
  rowIdx: SharedArrayBuffer
  hist: SharedArrayBuffer
  spare: SharedArrayBuffer
  control: SharedArrayBuffer
}

/** Control words (Int32): a job generation the workers wait on, the job, and a completion count. */
export const CTRL_GENERATION = 0
export const CTRL_DONE = 1
export const CTRL_MODE = 2 // 0: rows rowIdx[s, e); 1: rows s … e − 1 themselves; 2: exit
export const CTRL_START = 3
export const CTRL_END = 4
/** Chunks of the job claimed so far (see accumulateChunks). */
export const CTRL_NEXT = 5
const CTRL_WORDS = 6

/** Below this many rows per thread, handing out a job costs more than it saves. */
export const PARALLEL_MIN_ROWS = 8192


/**
 * Histogram building on `threads − 1` worker threads plus the calling thread, over shared memory: every
 * thread claims chunks of a leaf's rows from a shared counter and sums them into its own histogram, and the
 * caller adds the workers' histograms into its own. Jobs are handed out and awaited with Atomics (a wait, not
 * a message): a tree needs dozens of histograms and a message round trip per histogram would eat the gain.
 * Chunks rather than fixed blocks, so a worker that another process keeps off the CPU takes fewer of them
 * instead of holding the caller up.
 */
export class HistogramPool {
  private readonly control: Int32Array
  private readonly hists: Float64Array[] = []
  private constructor(
    private readonly workers: Worker[],
    control: SharedArrayBuffer,
    hists: SharedArrayBuffer[],
    private readonly slots: Uint16Array,
    private readonly nF: number,
    private readonly gh: Float64Array,
    private readonly rowIdx: Int32Array,
  ) {
    this.control = new Int32Array(control)
    for (const h of hists) this.hists.push(new Float64Array(h))
  }

  get threads(): number {
    return this.workers.length + 1
  }

  /** Starts `threads − 1` workers viewing `slots`, `gh` and `rowIdx` (all SharedArrayBuffer-backed) and waits until each is ready. */
  static async start(threads: number, slots: Uint16Array, nF: number, gh: Float64Array, rowIdx: Int32Array, histLength: number): Promise<HistogramPool> {
    const control = new SharedArrayBuffer(CTRL_WORDS * 4)
    const hists: SharedArrayBuffer[] = []
    const workers: Worker[] = []
    const n = Math.min(threads - 1, 63)
    try {
      await Promise.all(
        Array.from({ length: n }, (_, k) => {
          const hist = new SharedArrayBuffer(histLength * 8)
          hists.push(hist)
          const w = startWorker(import.meta.url, 'histogram-worker', {
            index: k,
            nF,
            slots: slots.buffer as SharedArrayBuffer,
            gh: gh.buffer as SharedArrayBuffer,
            rowIdx: rowIdx.buffer as SharedArrayBuffer,
            hist,
            spare: new SharedArrayBuffer(histLength * 8),
            control,
          })
          workers.push(w)
          return new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve())
            w.once('error', reject)
            w.once('exit', (code) => reject(new KeelError('INTERNAL_ERROR', `A gbdt histogram worker exited with code ${code} while starting.`)))
          })
        }),
      )
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()))
      throw e
    }
    // A worker that dies later would leave the caller waiting forever: make that loud instead.
    for (const w of workers) w.on('error', () => undefined)
    return new HistogramPool(workers, control, hists.slice(0, n), slots, nF, gh, rowIdx)
  }

  /**
   * Adds rows [s, e) (through rowIdx when `viaIndex`, else the row numbers themselves) into `hist` (zeroed by
   * the caller); `spare` is scratch of hist's length.
   */
  build(s: number, e: number, viaIndex: boolean, hist: Float64Array, spare: Float64Array): void {
    const c = this.control
    const nWorkers = this.workers.length
    c[CTRL_START] = s
    c[CTRL_END] = e
    c[CTRL_MODE] = viaIndex ? 0 : 1
    c[CTRL_NEXT] = 0
    Atomics.store(c, CTRL_DONE, 0)
    Atomics.add(c, CTRL_GENERATION, 1)
    Atomics.notify(c, CTRL_GENERATION)
    spare.fill(0)
    accumulateChunks(c, CTRL_NEXT, viaIndex, this.slots, this.nF, this.gh, this.rowIdx, s, e, hist, spare)
    for (let i = 0; i < hist.length; i++) hist[i]! += spare[i]!
    // Bounded: each worker adds 1 exactly once per generation; 60 s without progress means a dead worker.
    for (let done = Atomics.load(c, CTRL_DONE); done < nWorkers; done = Atomics.load(c, CTRL_DONE)) {
      if (Atomics.wait(c, CTRL_DONE, done, 60_000) === 'timed-out') throw new KeelError('INTERNAL_ERROR', 'A gbdt histogram worker stopped responding.')
    }
    for (const h of this.hists) for (let i = 0; i < hist.length; i++) hist[i]! += h[i]!
  }

  async close(): Promise<void> {
    const c = this.control
    c[CTRL_MODE] = 2
    Atomics.add(c, CTRL_GENERATION, 1)
    Atomics.notify(c, CTRL_GENERATION)
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
