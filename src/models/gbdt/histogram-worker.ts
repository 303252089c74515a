import { parentPort, workerData } from 'node:worker_threads'
import { accumulateChunks, accumulatePackedChunks } from './histogram.js'
import { CTRL_CLAIM, CTRL_DONE, CTRL_END, CTRL_GENERATION, CTRL_MODE, CTRL_NEXT, CTRL_PACKED, CTRL_START } from './histogram-pool.js'
import type { HistogramWorkerInit } from './histogram-pool.js'

/** Worker entry: waits on the shared control words for a job, sums the chunks it claims into its own histogram, reports done. */
const init = workerData as HistogramWorkerInit
const slots = new Uint16Array(init.slots)
const gh = new Float64Array(init.gh)
const packed = init.packed === null ? null : new Float64Array(init.packed)
const rowIdx = new Int32Array(init.rowIdx)
const hist = new Float64Array(init.hist)
const spare = new Float64Array(init.spare)
const c = new Int32Array(init.control)
const port = parentPort
if (port === null) throw new Error('histogram-worker must run in a worker thread')
let generation = Atomics.load(c, CTRL_GENERATION)
port.postMessage('ready')
for (;;) {
  Atomics.wait(c, CTRL_GENERATION, generation)
  generation = Atomics.load(c, CTRL_GENERATION)
  const mode = c[CTRL_MODE]!
  if (mode === 2) break
  // Join the job unless the caller already closed it (it finished every chunk while this thread was not running).
  if (Atomics.compareExchange(c, CTRL_CLAIM + init.index, generation, -generation) !== generation) continue
  hist.fill(0)
  spare.fill(0)
  if (c[CTRL_PACKED] === 1 && packed !== null) accumulatePackedChunks(c, CTRL_NEXT, mode === 0, slots, init.nF, packed, rowIdx, c[CTRL_START]!, c[CTRL_END]!, hist, spare)
  else accumulateChunks(c, CTRL_NEXT, mode === 0, slots, init.nF, gh, rowIdx, c[CTRL_START]!, c[CTRL_END]!, hist, spare)
  for (let i = 0; i < hist.length; i++) hist[i]! += spare[i]!
  Atomics.add(c, CTRL_DONE, 1)
  Atomics.notify(c, CTRL_DONE)
}
port.close()
