import { invalidParameter } from '../../core/errors.js'
import type { ColumnSpec, Signature } from '../../registry/types.js'

/**
 * ONNX graph inputs/outputs ↔ keel's `Signature`. A `ColumnSpec` carries only `{name, type}`, so a tensor is
 * written into `type` as `tensor<elementType>[dim,dim,...]`, keeping symbolic dims by name (`batch`) and
 * unknown ones as `?`: readable in `keel models show` and parsed back by `parseTensorType`.
 */

/** One graph input or output as onnxruntime reports it. */
export interface OnnxValueInfo {
  name: string
  /** onnxruntime's element type (`float32`, `int64`, ...); `undefined` for a non-tensor (sequence, map). */
  elementType: string | undefined
  /** Numbers are fixed sizes, strings are symbolic dims; empty when the shape is unknown or the value a scalar. */
  shape: ReadonlyArray<number | string>
}

export interface TensorType {
  elementType: string
  shape: Array<number | string>
}

const NON_TENSOR = 'object'

/** `tensor<float32>[batch,8]`; dims that are neither a fixed size nor a name print as `?`. */
export function formatTensorType(elementType: string, shape: ReadonlyArray<number | string>): string {
  const dims = shape.map((d) => (typeof d === 'number' ? (Number.isInteger(d) && d >= 0 ? String(d) : '?') : d === '' ? '?' : d))
  return `tensor<${elementType}>[${dims.join(',')}]`
}

const TENSOR_TYPE = /^tensor<([a-z0-9]+)>\[([^\]]*)\]$/

/** Inverse of `formatTensorType`; `?` comes back as the string `'?'`. */
export function parseTensorType(type: string): TensorType {
  const match = TENSOR_TYPE.exec(type)
  if (match === null) throw invalidParameter(`'${type}' is not a tensor type; expected 'tensor<elementType>[dims]', e.g. 'tensor<float32>[batch,8]'.`)
  const body = match[2]!
  const shape = body === '' ? [] : body.split(',').map((d) => (/^\d+$/.test(d) ? Number(d) : d))
  return { elementType: match[1]!, shape }
}

export function columnSpecOf(info: OnnxValueInfo): ColumnSpec {
  return { name: info.name, type: info.elementType === undefined ? NON_TENSOR : formatTensorType(info.elementType, info.shape) }
}

export function signatureOf(inputs: readonly OnnxValueInfo[], outputs: readonly OnnxValueInfo[]): Signature {
  return { inputs: inputs.map(columnSpecOf), outputs: outputs.map(columnSpecOf) }
}

/** Element types a frame's numeric columns can be packed into (Frame holds float64). */
export const FRAME_ELEMENT_TYPES: ReadonlySet<string> = new Set(['float32', 'float64'])

/**
 * The row width n when the value is a 2-D float tensor `[batch, n]` with a fixed n (a tabular model's
 * input); `undefined` otherwise. The batch dim may be symbolic, unknown or fixed.
 */
export function matrixWidth(info: OnnxValueInfo): number | undefined {
  if (info.elementType === undefined || !FRAME_ELEMENT_TYPES.has(info.elementType) || info.shape.length !== 2) return undefined
  const n = info.shape[1]
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined
}
