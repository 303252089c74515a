import type { PredictionStore } from '../monitoring/prediction-store.js'
import type { CapturedPrediction } from './types.js'

/**
 * Captured predictions in a `keel serve --workers N` cluster have one writer, the primary (cluster.ts): workers
 * forward their batches over IPC in a compact form.
 */

/** The worker → primary message carrying a batch. */
export interface CaptureMessage {
  type: 'keel:capture2'
  batch: CaptureBatch
}

/**
 * A batch of captured predictions as sent over IPC: arrays instead of objects (IPC messages are JSON, and the
 * column names of every record would otherwise be repeated in every record). `keys` holds each distinct list
 * of input / output names once; a row is `[id, deployment, model, version, arm, timestamp, inputKeys, inputValues,
 * outputKeys, outputValues]` with the key lists as indexes into `keys`.
 */
export interface CaptureBatch {
  keys: string[][]
  rows: Array<[string, string, string, string, CapturedPrediction['arm'], number, number, Array<number | string | null>, number, Array<number | string | null>]>
}

export function encodeCaptureBatch(records: readonly CapturedPrediction[]): CaptureBatch {
  const keys: string[][] = []
  const index = new Map<string, number>()
  let lastInputKeys: string[] | undefined
  let lastInputIndex = -1
  let lastOutputKeys: string[] | undefined
  let lastOutputIndex = -1
  const keyIndex = (names: string[]): number => {
    const joined = names.join('\u0000')
    let i = index.get(joined)
    if (i === undefined) {
      i = keys.length
      keys.push(names)
      index.set(joined, i)
    }
    return i
  }
  const sameKeys = (a: string[] | undefined, b: string[]): boolean => {
    if (a === undefined || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }
  const rows: CaptureBatch['rows'] = new Array(records.length)
  for (let r = 0; r < records.length; r++) {
    const record = records[r]!
    const inputs = record.inputs
    const outputs = record.outputs
    const inputKeys = Object.keys(inputs)
    const outputKeys = Object.keys(outputs)
    if (!sameKeys(lastInputKeys, inputKeys)) ((lastInputKeys = inputKeys), (lastInputIndex = keyIndex(inputKeys)))
    if (!sameKeys(lastOutputKeys, outputKeys)) ((lastOutputKeys = outputKeys), (lastOutputIndex = keyIndex(outputKeys)))
    const inputValues = new Array<number | string | null>(inputKeys.length)
    for (let j = 0; j < inputKeys.length; j++) inputValues[j] = inputs[inputKeys[j]!]!
    const outputValues = new Array<number | string | null>(outputKeys.length)
    for (let j = 0; j < outputKeys.length; j++) outputValues[j] = outputs[outputKeys[j]!]!
    rows[r] = [record.id, record.deployment, record.model, record.version, record.arm, record.timestamp, lastInputIndex, inputValues, lastOutputIndex, outputValues]
  }
  return { keys, rows }
}

export function decodeCaptureBatch(batch: CaptureBatch): CapturedPrediction[] {
  const out = new Array<CapturedPrediction>(batch.rows.length)
  const record = (names: readonly string[] | undefined, values: ReadonlyArray<number | string | null>): Record<string, number | string | null> => {
    const o: Record<string, number | string | null> = {}
    if (names !== undefined) for (let j = 0; j < names.length; j++) o[names[j]!] = values[j] ?? null
    return o
  }
  for (let r = 0; r < batch.rows.length; r++) {
    const [id, deployment, model, version, arm, timestamp, inKeys, inValues, outKeys, outValues] = batch.rows[r]!
    out[r] = { id, deployment, model, version, arm, timestamp, inputs: record(batch.keys[inKeys], inValues), outputs: record(batch.keys[outKeys], outValues) }
  }
  return out
}

/**
 * A worker's prediction port that forwards each batch to the primary (the one writer). A batch counts as stored
 * once it is on the IPC channel: the primary's capture buffers it, and drops and counts what it cannot keep.
 * Sending one batch at a time (as `PredictionCapture` does) is the backpressure: a slow primary fills the
 * channel, the callback waits, and the worker's own bounded buffer drops and counts.
 */
export function forwardingPredictionStore(): PredictionStore {
  const refuse = (): never => {
    throw new Error('A cluster worker forwards captured predictions to the primary; read them from the store.')
  }
  return {
    appendPredictions: (records) =>
      new Promise<void>((resolve, reject) => {
        if (records.length === 0) return resolve()
        if (process.send === undefined || !process.connected) return reject(new Error('No primary to forward captured predictions to.'))
        let message: CaptureMessage
        try {
          message = { type: 'keel:capture2', batch: encodeCaptureBatch(records) }
        } catch (error) {
          return reject(error instanceof Error ? error : new Error(String(error)))
        }
        process.send(message, (error: Error | null) => (error ? reject(error) : resolve()))
      }),
    listPredictions: refuse,
    countPredictions: refuse,
  }
}
