import { invalidParameter } from '../../core/errors.js'
import type { Scores } from '../../scoring/scoring-model.js'
import type { ServedVersion } from '../types.js'
import { answerValues, finite } from './answer-values.js'
import { RequestColumns, show, tooManyRows } from './request-frame.js'
import type { InputField, InputSchema } from './request-frame.js'

/**
 * The Open Inference Protocol v2 (KServe v2) REST shapes keel speaks: infer requests as one tensor per column
 * (`shape [n]` or `[n, 1]`, or `[n, k]` for a tensor input) or one `[n, width]` matrix in signature order;
 * answers with `predict` (`[n]`, or `[n, width]` for multi-output models) and, for classifiers, `predict_proba`
 * (`[n, classes]`).
 */

export interface OipRequest {
  readonly columns: RequestColumns
  /** Echoed in the answer when the caller sent one. */
  readonly id: string | undefined
  /** Requested output names; undefined = all. */
  readonly outputs: readonly string[] | undefined
}

const NUMERIC_TYPES = new Set(['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BF16'])

interface TensorInput {
  readonly name: string
  readonly shape: readonly number[]
  readonly datatype: string
  readonly data: readonly unknown[]
}

/** Outputs a served version answers with. */
export function outputNames(served: ServedVersion): string[] {
  return served.scorer.classes === undefined ? ['predict'] : ['predict', 'predict_proba']
}

export function oipRequest(schema: InputSchema, served: ServedVersion, body: unknown, maxRows: number): OipRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidParameter(`The body must be an inference request {"inputs": [{"name", "shape", "datatype", "data"}]}, got ${show(body)}.`)
  }
  const request = body as Record<string, unknown>
  const id = request['id']
  if (id !== undefined && typeof id !== 'string') throw invalidParameter(`'id' must be a string, got ${show(id)}.`)
  const parameters = request['parameters']
  if (parameters !== undefined && (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters))) {
    throw invalidParameter(`'parameters' must be an object, got ${show(parameters)}.`)
  }
  const outputs = requestedOutputs(request['outputs'], served)
  const raw = request['inputs']
  if (!Array.isArray(raw) || raw.length === 0) throw invalidParameter(`'inputs' must be a non-empty list of tensors, got ${show(raw)}.`)
  if (raw.length > 10_000) throw invalidParameter(`'inputs' has ${raw.length} tensors; send at most 10,000.`)
  const inputs = raw.map((value, i) => tensorInput(value, i))
  const rows = inputs[0]!.shape[0]!
  if (rows > maxRows) throw tooManyRows(rows, maxRows)
  const only = inputs[0]!
  // One 2-D tensor that is not a column of the model: the whole matrix in signature order.
  const matrix = inputs.length === 1 && only.shape.length === 2 && only.shape[1] === schema.width && (!schema.byName.has(only.name) || schema.fields.length === 1)
  const columns = new RequestColumns(schema, rows, maxRows)
  if (matrix) {
    const data = flatten(only, rows * schema.width)
    const stringly = only.datatype === 'BYTES'
    for (let s = 0; s < schema.width; s++) checkDatatype(schema.slotField[s]!, only, stringly)
    const width = schema.width
    for (let r = 0; r < rows; r++) for (let s = 0; s < width; s++) columns.setSlot(s, r, cell(only, data[r * width + s]))
    columns.markAll()
    return { columns, id, outputs }
  }
  for (const input of inputs) {
    if (input.shape[0] !== rows) {
      throw invalidParameter(`Input '${input.name}' has ${input.shape[0]} rows (shape [${input.shape.join(', ')}]) but '${only.name}' has ${rows}; every input must have the same batch size.`)
    }
    const field = columns.field(input.name)
    if (field === undefined) continue
    const width = field.width
    if (!(input.shape.length === 1 && width === 1) && !(input.shape.length === 2 && input.shape[1] === width)) {
      throw invalidParameter(`Input '${input.name}' has shape [${input.shape.join(', ')}]; the model takes [${rows}]${width === 1 ? ` or [${rows}, 1]` : ''} (${field.type}).`)
    }
    checkDatatype(field, input, input.datatype === 'BYTES')
    const data = flatten(input, rows * width)
    for (let r = 0; r < rows; r++) for (let j = 0; j < width; j++) columns.setSlot(field.firstSlot + j, r, cell(input, data[r * width + j]))
  }
  return { columns, id, outputs }
}

function requestedOutputs(value: unknown, served: ServedVersion): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw invalidParameter(`'outputs' must be a list of {"name": ...}, got ${show(value)}.`)
  const known = outputNames(served)
  return value.map((o, i) => {
    const name = o !== null && typeof o === 'object' ? (o as Record<string, unknown>)['name'] : undefined
    if (typeof name !== 'string') throw invalidParameter(`outputs[${i}] must be {"name": string}, got ${show(o)}.`)
    if (!known.includes(name)) throw invalidParameter(`outputs[${i}] names '${name}', which this model does not produce; its outputs are ${known.join(', ')}.`)
    return name
  })
}

function tensorInput(value: unknown, i: number): TensorInput {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidParameter(`inputs[${i}] must be a tensor {"name", "shape", "datatype", "data"}, got ${show(value)}.`)
  const t = value as Record<string, unknown>
  const { name, shape, datatype, data } = t
  if (typeof name !== 'string') throw invalidParameter(`inputs[${i}].name must be a string, got ${show(name)}.`)
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 2 || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw invalidParameter(`Input '${name}' has shape ${show(shape)}; keel takes [rows] or [rows, columns] of non-negative integers.`)
  }
  if (typeof datatype !== 'string' || (datatype !== 'BYTES' && !NUMERIC_TYPES.has(datatype))) {
    throw invalidParameter(`Input '${name}' has datatype ${show(datatype)}; use BYTES for strings or one of ${[...NUMERIC_TYPES].join(', ')}.`)
  }
  if (!Array.isArray(data)) throw invalidParameter(`Input '${name}' has no 'data' list (got ${show(data)}); binary tensor data is not supported.`)
  return { name, shape: shape as number[], datatype, data }
}

function checkDatatype(field: InputField, input: TensorInput, stringly: boolean): void {
  const wantsString = field.kind === 'string'
  if (wantsString && !stringly) throw invalidParameter(`Input '${input.name}' is ${input.datatype}, but column '${field.name}' takes strings: send it as BYTES.`)
  if (!wantsString && stringly && field.kind !== 'datetime') {
    throw invalidParameter(`Input '${input.name}' is BYTES, but column '${field.name}' takes numbers (${datatypeOf(field)}).`)
  }
}

/** A tensor's data, row-major and flat: flat data is used as it is, nested data is flattened along the shape. */
function flatten(input: TensorInput, total: number): readonly unknown[] {
  const { data, shape, name } = input
  if (data.length === total && (total === 0 || !Array.isArray(data[0]))) return data
  if (shape.length === 2 && data.length === shape[0]) {
    const width = shape[1]!
    const out = new Array<unknown>(total)
    for (let r = 0; r < data.length; r++) {
      const row = data[r]
      if (!Array.isArray(row) || row.length !== width) throw invalidParameter(`Input '${name}' data[${r}] must be a list of ${width} values (shape [${shape.join(', ')}]), got ${show(row)}.`)
      for (let j = 0; j < width; j++) out[r * width + j] = row[j]
    }
    return out
  }
  throw invalidParameter(`Input '${name}' has shape [${shape.join(', ')}] (${total} values) but its data has ${data.length}; send the values row-major, flat or nested by row.`)
}

function cell(input: TensorInput, value: unknown): unknown {
  if (Array.isArray(value)) throw invalidParameter(`Input '${input.name}' has a nested list where a value belongs: ${show(value)}.`)
  // BOOL tensors feeding numeric columns: true/false as 1/0.
  return input.datatype === 'BOOL' && typeof value === 'boolean' ? (value ? 1 : 0) : value
}

/** The inference response body. */
export function oipResponseBody(served: ServedVersion, scores: Scores, rows: number, ids: readonly string[], request: OipRequest): string {
  const values = answerValues(served, scores, rows)
  const wanted = request.outputs
  const outputs: unknown[] = []
  if (wanted === undefined || wanted.includes('predict')) {
    const { width, classes } = values
    if (classes !== undefined) {
      const data = new Array<string | number | null>(rows)
      for (let r = 0; r < rows; r++) {
        const v = scores.prediction[r]!
        data[r] = classes[v] ?? finite(v)
      }
      outputs.push({ name: 'predict', shape: [rows], datatype: 'BYTES', data })
    } else {
      const n = rows * width
      const data = new Array<number | null>(n)
      for (let i = 0; i < n; i++) data[i] = finite(scores.prediction[i]!)
      outputs.push({ name: 'predict', shape: width === 1 ? [rows] : [rows, width], datatype: 'FP64', data })
    }
  }
  const proba = scores.proba
  if (values.classes !== undefined && proba !== undefined && (wanted === undefined || wanted.includes('predict_proba'))) {
    const n = proba.length
    const data = new Array<number | null>(n)
    for (let i = 0; i < n; i++) data[i] = finite(proba[i]!)
    outputs.push({ name: 'predict_proba', shape: [rows, values.classes.length], datatype: 'FP64', data })
  }
  return JSON.stringify({
    model_name: served.model,
    model_version: served.version,
    id: request.id ?? ids[0],
    parameters: { prediction_ids: ids },
    outputs,
  })
}

function datatypeOf(field: InputField): string {
  if (field.kind === 'string') return 'BYTES'
  if (field.kind === 'boolean') return 'BOOL'
  if (field.kind === 'integer') return field.type === 'integer' ? 'INT32' : 'INT64'
  if (field.kind === 'datetime') return 'BYTES'
  if (field.type === 'float' || field.type.startsWith('tensor<float32>')) return 'FP32'
  return 'FP64'
}

export function serverMetadata(version: string): { name: string; version: string; extensions: string[] } {
  return { name: 'keel', version, extensions: [] }
}

/** Model metadata: inputs as tensors with datatype and shape (-1 = any batch size) from the signature. */
export function modelMetadata(schema: InputSchema, served: ServedVersion, loaded: readonly ServedVersion[]): Record<string, unknown> {
  const classes = served.scorer.classes
  const outputs: Array<Record<string, unknown>> = [{ name: 'predict', datatype: classes === undefined ? 'FP64' : 'BYTES', shape: [-1] }]
  if (classes !== undefined) outputs.push({ name: 'predict_proba', datatype: 'FP64', shape: [-1, classes.length] })
  return {
    name: served.model,
    versions: loaded.map((v) => v.version),
    platform: `keel_${served.scorer.kind}`,
    inputs: schema.fields.map((f) => ({ name: f.name, datatype: datatypeOf(f), shape: f.width === 1 ? [-1] : [-1, f.width] })),
    outputs,
    parameters: { version: served.version, ...(served.alias === undefined ? {} : { alias: served.alias }), ...(classes === undefined ? {} : { classes: classes.join(',') }) },
  }
}
