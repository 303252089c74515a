import { parentPort, workerData } from 'node:worker_threads'
import { XgboostPredictor } from '../models/formats/xgboost.js'
import { XgboostFastMargins } from './xgboost-fast.js'
import type { XgboostWorkerInit, XgboostWorkerJob } from './xgboost-pool.js'

const init = workerData as XgboostWorkerInit
const predictor = XgboostPredictor.fromJson(init.json, init.options)
const port = parentPort
if (port === null) throw new Error('xgboost-worker must run in a worker thread')
// The pool only shares work when the trees compile (it scores alone otherwise).
const fast = XgboostFastMargins.compile(predictor)

port.on('message', (job: XgboostWorkerJob) => {
  try {
    if (fast === undefined) throw new Error('the trees are too deep for the fast layout')
    const n = job.rows
    const columns = predictor.features.map((_, f) => new Float32Array(job.input, f * n * 4, n))
    const out = new Float64Array(job.output)
    const counter = new Int32Array(job.next)
    for (let start = Atomics.add(counter, 0, job.chunk); start < n; start = Atomics.add(counter, 0, job.chunk)) {
      fast.forest.margins(columns, start, Math.min(n, start + job.chunk), out, start)
    }
    port.postMessage({ done: true })
  } catch (error) {
    port.postMessage({ error: (error as Error).message })
  }
})
port.postMessage({ ready: true })
