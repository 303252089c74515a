import { parentPort, workerData } from 'node:worker_threads'
import { Frame, numericColumn } from '../core/frame.js'
import { XgboostPredictor } from '../models/formats/xgboost.js'
import { XgboostFastMargins } from './xgboost-fast.js'
import type { XgboostWorkerInit, XgboostWorkerJob } from './xgboost-pool.js'

const init = workerData as XgboostWorkerInit
const predictor = XgboostPredictor.fromJson(init.json, init.options)
const port = parentPort
if (port === null) throw new Error('xgboost-worker must run in a worker thread')
const groups = predictor.model.groups
const fast = XgboostFastMargins.compile(predictor)

port.on('message', (job: XgboostWorkerJob) => {
  try {
    const columns = new Float64Array(job.input)
    const frame = new Frame(
      predictor.features.map((name, f) => numericColumn(name, columns.slice(f * job.rows + job.start, f * job.rows + job.end))),
    )
    const margins = fast === undefined ? predictor.predictMargin(frame) : fast.margins(frame)
    new Float64Array(job.output).set(margins, job.start * groups)
    port.postMessage({ done: true })
  } catch (error) {
    port.postMessage({ error: (error as Error).message })
  }
})
port.postMessage({ ready: true })
