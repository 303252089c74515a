import type { Worker } from 'node:worker_threads'
import { startWorker } from '../../core/start-worker.js'
import { KeelError } from '../../core/errors.js'
import { accumulateChunks, accumulatePackedChunks, accumulatePackedRange, accumulatePackedRows, accumulateRange, accumulateRows, unpackHistogram } from './histogram.js'
import type { GradientQuantizer } from './quantize.js'

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
  /** Packed quantised gradients (quantize.ts), when the pool builds packed histograms. */
  packed: SharedArrayBuffer | null
}

/** Control words (Int32): a job generation the workers wait on, the job, and a completion count. */
export const CTRL_GENERATION = 0
export const CTRL_DONE = 1
export const CTRL_MODE = 2 // 0: rows rowIdx[s, e); 1: rows s … e − 1 themselves; 2: exit
export const CTRL_START = 3
export const CTRL_END = 4
/** Chunks of the job claimed so far (see accumulateChunks). */
export const CTRL_NEXT = 5
/** 1: sum the packed quantised gradients into packed histograms. */
export const CTRL_PACKED = 6
/**
 * Then one claim word per worker: the caller opens it with the job's generation g, the worker joins by
 * swapping g for −g, and the caller, done with its own chunks, closes the ones still at g (0). A worker the
 * OS has not run yet is thereby left out instead of waited for, and a late one cannot join a closed job.
 */
export const CTRL_CLAIM = 7
const CTRL_WORDS = 7

/** Below this many rows per thread, handing out a job costs more than it saves. */
export const PARALLEL_MIN_ROWS = 8192


/**
 * Histogram building for the grower: in the calling thread for small leaves, else on `threads − 1` worker
 * threads plus the calling thread over shared memory: every thread claims chunks of a leaf's rows from a
 * shared counter and sums them into its own histogram, and the caller adds the workers' histograms into its
 * own. Jobs are handed out and awaited with Atomics (a wait, not a message): a tree needs dozens of
 * histograms and a message round trip per histogram would eat the gain. Chunks rather than fixed blocks, so a
 * worker that another process keeps off the CPU takes fewer of them instead of holding the caller up.
 * With a quantiser, histograms are built packed (one float64 per bin, see quantize.ts) and unpacked into the
 * caller's interleaved [gradient, hessian] histogram.
 */
export class HistogramPool {
  private readonly control: Int32Array
  private readonly hists: Float64Array[] = []
  /** The caller's packed histogram and its second (paired) one; empty without a quantiser. */
  private readonly packedHist: Float64Array
  private readonly packedSpare: Float64Array
  /** Per worker: 1 when it joined the current job (its histogram counts). */
  private readonly joined: Uint8Array
  /** Leaves with fewer rows than this per thread are built in the calling thread alone. */
  minRowsPerThread = PARALLEL_MIN_ROWS
  private constructor(
    private readonly workers: Worker[],
    control: SharedArrayBuffer,
    hists: SharedArrayBuffer[],
    private readonly slots: Uint16Array,
    private readonly nF: number,
    private readonly gh: Float64Array,
    private readonly rowIdx: Int32Array,
    private readonly quantizer: GradientQuantizer | null,
    private readonly packed: Float64Array | null,
    histLength: number,
  ) {
    this.control = new Int32Array(control)
    this.joined = new Uint8Array(workers.length)
    for (const h of hists) this.hists.push(new Float64Array(h))
    const packedLength = quantizer === null ? 0 : histLength / 2
    this.packedHist = new Float64Array(packedLength)
    this.packedSpare = new Float64Array(packedLength)
  }

  get threads(): number {
    return this.workers.length + 1
  }

  /**
   * Starts `threads − 1` workers viewing `slots`, `gh`, `rowIdx` and `packed` (SharedArrayBuffer-backed when
   * threads > 1) and waits until each is ready. With `quantizer`, histograms are summed from `packed`
   * (quantizer.quantize fills it before each tree) instead of `gh`.
   */
  static async start(
    threads: number, slots: Uint16Array, nF: number, gh: Float64Array, rowIdx: Int32Array, histLength: number,
    quantized: { quantizer: GradientQuantizer; packed: Float64Array } | null = null,
  ): Promise<HistogramPool> {
    const control = new SharedArrayBuffer((CTRL_WORDS + Math.min(threads - 1, 63)) * 4)
    const hists: SharedArrayBuffer[] = []
    const workers: Worker[] = []
    const n = Math.min(threads - 1, 63)
    // A worker's histogram is packed (half the length) when quantised.
    const workerHistLength = quantized === null ? histLength : histLength / 2
    try {
      await Promise.all(
        Array.from({ length: n }, (_, k) => {
          const hist = new SharedArrayBuffer(workerHistLength * 8)
          hists.push(hist)
          const init: HistogramWorkerInit = {
            index: k,
            nF,
            slots: slots.buffer as SharedArrayBuffer,
            gh: gh.buffer as SharedArrayBuffer,
            rowIdx: rowIdx.buffer as SharedArrayBuffer,
            hist,
            spare: new SharedArrayBuffer(workerHistLength * 8),
            control,
            packed: quantized === null ? null : (quantized.packed.buffer as SharedArrayBuffer),
          }
          const w = startWorker(import.meta.url, 'histogram-worker', init)
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
    return new HistogramPool(workers, control, hists.slice(0, n), slots, nF, gh, rowIdx, quantized?.quantizer ?? null, quantized?.packed ?? null, histLength)
  }

  /**
   * Adds rows [s, e) (through rowIdx when `viaIndex`, else the row numbers themselves) into `hist` (zeroed by
   * the caller); `spare` is scratch of hist's length.
   */
  build(s: number, e: number, viaIndex: boolean, hist: Float64Array, spare: Float64Array): void {
    const parallel = this.workers.length > 0 && e - s >= this.minRowsPerThread * this.threads
    const q = this.quantizer
    if (q === null) {
      if (!parallel) {
        if (viaIndex) accumulateRows(this.slots, this.nF, this.gh, this.rowIdx, s, e, hist, spare)
        else accumulateRange(this.slots, this.nF, this.gh, s, e, hist, spare)
        return
      }
      spare.fill(0)
      this.handOut(s, e, viaIndex, 0)
      accumulateChunks(this.control, CTRL_NEXT, viaIndex, this.slots, this.nF, this.gh, this.rowIdx, s, e, hist, spare)
      for (let i = 0; i < hist.length; i++) hist[i]! += spare[i]!
      this.awaitWorkers()
      for (let k = 0; k < this.hists.length; k++) {
        const h = this.hists[k]!
        if (this.joined[k] === 1) for (let i = 0; i < hist.length; i++) hist[i]! += h[i]!
      }
      return
    }
    const ph = this.packedHist
    const ps = this.packedSpare
    const packed = this.packed!
    ph.fill(0)
    ps.fill(0)
    if (parallel) {
      this.handOut(s, e, viaIndex, 1)
      accumulatePackedChunks(this.control, CTRL_NEXT, viaIndex, this.slots, this.nF, packed, this.rowIdx, s, e, ph, ps)
    } else if (viaIndex) accumulatePackedRows(this.slots, this.nF, packed, this.rowIdx, s, e, ph, ps)
    else accumulatePackedRange(this.slots, this.nF, packed, s, e, ph, ps)
    for (let i = 0; i < ph.length; i++) ph[i]! += ps[i]!
    if (parallel) {
      this.awaitWorkers()
      for (let k = 0; k < this.hists.length; k++) {
        const h = this.hists[k]!
        if (this.joined[k] === 1) for (let i = 0; i < ph.length; i++) ph[i]! += h[i]!
      }
    }
    unpackHistogram(ph, q.shift, q.gScale, q.hScale, hist)
  }

  private handOut(s: number, e: number, viaIndex: boolean, packed: number): void {
    const c = this.control
    c[CTRL_START] = s
    c[CTRL_END] = e
    c[CTRL_MODE] = viaIndex ? 0 : 1
    c[CTRL_PACKED] = packed
    c[CTRL_NEXT] = 0
    Atomics.store(c, CTRL_DONE, 0)
    // Generations stay positive, so −g (joined) and 0 (closed) never look like an open job.
    const g = c[CTRL_GENERATION]! + 1
    for (let k = 0; k < this.workers.length; k++) Atomics.store(c, CTRL_CLAIM + k, g)
    Atomics.store(c, CTRL_GENERATION, g)
    Atomics.notify(c, CTRL_GENERATION)
  }

  /** Closes the job to workers that have not joined, then waits for those that have; marks them in `joined`. */
  private awaitWorkers(): void {
    const c = this.control
    const g = c[CTRL_GENERATION]!
    let nJoined = 0
    for (let k = 0; k < this.workers.length; k++) {
      const was = Atomics.compareExchange(c, CTRL_CLAIM + k, g, 0)
      this.joined[k] = was === -g ? 1 : 0
      nJoined += this.joined[k]!
    }
    // Bounded: each joined worker adds 1 exactly once per generation; 60 s without progress means a dead worker.
    for (let done = Atomics.load(c, CTRL_DONE); done < nJoined; done = Atomics.load(c, CTRL_DONE)) {
      if (Atomics.wait(c, CTRL_DONE, done, 60_000) === 'timed-out') throw new KeelError('INTERNAL_ERROR', 'A gbdt histogram worker stopped responding.')
    }
  }

  async close(): Promise<void> {
    const c = this.control
    c[CTRL_MODE] = 2
    Atomics.add(c, CTRL_GENERATION, 1)
    Atomics.notify(c, CTRL_GENERATION)
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
