import { parentPort, workerData } from 'node:worker_threads'
import { growScratch, growTree } from './grow-tree.js'
import { TreeBuilder } from './tree-builder.js'
import type { TrainingData } from './training-data.js'
import type { ForestJob, ForestWorkerInit, GrownTreeMessage } from './forest-pool.js'

/** Worker entry: views the shared training buffers (no copy), then grows the trees the main thread hands out. */
const init = workerData as ForestWorkerInit
const data: TrainingData = {
  rows: init.rows,
  nFeatures: init.nFeatures,
  nOut: init.nOut,
  bins: new Uint8Array(init.bins),
  nBins: Int32Array.from(init.nBins),
  y: new Float64Array(init.y),
  baseWeight: new Float64Array(init.baseWeight),
}
const builder = new TreeBuilder(data, init.options)
const scratch = growScratch(data.rows)
const port = parentPort
if (port === null) throw new Error('forest-worker must run in a worker thread')
port.on('message', (job: ForestJob) => {
  const t = growTree(data, builder, job.seed, init.bootstrap, scratch)
  const message: GrownTreeMessage = { tree: job.tree, ...t }
  port.postMessage(message, [t.feature.buffer, t.thresholdBin.buffer, t.left.buffer, t.right.buffer, t.value.buffer] as ArrayBuffer[])
})
