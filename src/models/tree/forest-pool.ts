import type { Worker } from 'node:worker_threads'
import { startWorker } from '../../core/start-worker.js'
import { KeelError, aborted } from '../../core/errors.js'
import type { BuildOptions, TreeArrays } from './tree-builder.js'
import type { TrainingData } from './training-data.js'

/** What each worker receives once: the shared buffers themselves, never copies of them. */
export interface ForestWorkerInit {
  rows: number
  nFeatures: number
  nOut: number
  bins: SharedArrayBuffer
  nBins: number[]
  y: SharedArrayBuffer
  baseWeight: SharedArrayBuffer
  options: BuildOptions
  bootstrap: boolean
}

export interface ForestJob {
  tree: number
  seed: number
}

export type GrownTreeMessage = TreeArrays & { tree: number }

export function abortedError(done: number, total: number): KeelError {
  return aborted(`Training was aborted after ${done} of ${total} trees; nothing was returned.`, { done, total })
}


/** Grows `seeds.length` trees on `threads` workers, one job at a time per worker; workers end with the call. */
export async function growForestInWorkers(
  data: TrainingData,
  options: BuildOptions,
  bootstrap: boolean,
  seeds: readonly number[],
  threads: number,
  onTree: (done: number) => void,
  signal?: AbortSignal,
): Promise<TreeArrays[]> {
  const total = seeds.length
  if (signal?.aborted === true) throw abortedError(0, total)
  const init: ForestWorkerInit = {
    rows: data.rows,
    nFeatures: data.nFeatures,
    nOut: data.nOut,
    bins: data.bins.buffer as SharedArrayBuffer,
    nBins: Array.from(data.nBins),
    y: data.y.buffer as SharedArrayBuffer,
    baseWeight: data.baseWeight.buffer as SharedArrayBuffer,
    options,
    bootstrap,
  }
  const workers: Worker[] = []
  const results: TreeArrays[] = new Array<TreeArrays>(total)
  let onAbort: (() => void) | undefined
  try {
    return await new Promise<TreeArrays[]>((resolve, reject) => {
      let next = 0
      let done = 0
      const dispatch = (w: Worker): void => {
        if (next >= total) return
        const job: ForestJob = { tree: next, seed: seeds[next]! }
        next++
        w.postMessage(job)
      }
      onAbort = () => reject(abortedError(done, total))
      signal?.addEventListener('abort', onAbort, { once: true })
      for (let k = 0; k < Math.min(threads, total); k++) {
        const w = startWorker(import.meta.url, 'forest-worker', init)
        workers.push(w)
        w.on('message', (m: GrownTreeMessage) => {
          const { tree, ...arrays } = m
          results[tree] = arrays
          done++
          try {
            onTree(done)
          } catch (e) {
            reject(e)
            return
          }
          if (done === total) resolve(results)
          else dispatch(w)
        })
        w.on('error', (e: unknown) => reject(e))
        w.on('exit', (code) => {
          if (done < total) reject(new KeelError('INTERNAL_ERROR', `A forest worker exited with code ${code} before training finished.`))
        })
        dispatch(w)
      }
    })
  } finally {
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
    await Promise.all(workers.map((w) => w.terminate()))
  }
}
