import { parentPort } from 'node:worker_threads'
import { runNumericColumn, type NumericColumnJob } from './column-drift.js'

/** Worker side of DriftPool: runs numeric column jobs, answers { id, result } or { id, error }. */
parentPort?.on('message', (message: { id: number; job: NumericColumnJob }) => {
  try {
    parentPort?.postMessage({ id: message.id, result: runNumericColumn(message.job) ?? null })
  } catch (error) {
    const e = error as { message?: string; code?: string }
    parentPort?.postMessage({ id: message.id, error: { message: e.message ?? String(error), code: e.code } })
  }
})
