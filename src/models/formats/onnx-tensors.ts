import { invalidParameter } from '../../core/errors.js'
import type { Frame } from '../../core/frame.js'

/** Typed-array data onnxruntime accepts for a numeric tensor. */
export type OnnxTensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array

export type FrameElementType = 'float32' | 'float64'

export interface PackedMatrix {
  data: Float32Array | Float64Array
  dims: [number, number]
  columns: string[]
}

/**
 * The frame's columns as one row-major `[rows, n]` matrix. With `columns`, those in that order (the model's
 * feature order); without, every column of the frame in frame order, which must then all be numeric.
 * `width` is the model's fixed row width, when the graph declares one.
 */
export function packFrame(
  frame: Frame,
  inputName: string,
  elementType: FrameElementType,
  width: number | undefined,
  columns?: readonly string[],
): PackedMatrix {
  const names = columns === undefined ? frame.names : [...columns]
  if (columns === undefined) {
    const categorical = frame.columns.filter((c) => c.kind === 'categorical').map((c) => c.name)
    if (categorical.length > 0) {
      throw invalidParameter(
        `ONNX input '${inputName}' takes numbers, but column(s) ${list(categorical)} are categorical; encode them first or pass 'columns' with the numeric columns the model takes.`,
      )
    }
  }
  if (width !== undefined && names.length !== width) {
    throw invalidParameter(
      `ONNX input '${inputName}' takes ${width} columns per row, but ${columns === undefined ? 'the frame has' : "'columns' names"} ${names.length} (${list(names)}). Pass 'columns' with the ${width} column names in the order the model was trained on.`,
      { input: inputName, expected: width, given: names.length },
    )
  }
  if (names.length === 0) throw invalidParameter(`ONNX input '${inputName}' needs at least one column; the frame has none.`)
  const n = names.length
  const rows = frame.rows
  const data = elementType === 'float32' ? new Float32Array(rows * n) : new Float64Array(rows * n)
  // Column-outer keeps each source read sequential; the strided writes are into one contiguous buffer.
  for (let j = 0; j < n; j++) {
    const values = frame.numeric(names[j]!)
    for (let i = 0, at = j; i < rows; i++, at += n) data[at] = values[i]!
  }
  return { data, dims: [rows, n], columns: names }
}

/** An output tensor's values as float64 (int64 labels become numbers; precision beyond 2^53 is not expected). */
export function toFloat64(data: unknown, elementType: string, outputName: string): Float64Array {
  if (elementType === 'float16' || elementType === 'int4' || elementType === 'uint4') {
    // Packed/half formats arrive as raw integer codes; reading them as numbers would be silently wrong.
    throw invalidParameter(`ONNX output '${outputName}' is ${elementType}, which keel does not decode; export the model with a float32 output.`)
  }
  if (data instanceof Float64Array) return new Float64Array(data)
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Float64Array(data.length)
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!)
    return out
  }
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) return Float64Array.from(data as unknown as ArrayLike<number>)
  throw invalidParameter(`ONNX output '${outputName}' is not a numeric tensor (strings, sequences and maps are not supported); pick a numeric output.`)
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 12).map((n) => `'${n}'`)
  return names.length > 12 ? `${shown.join(', ')}, … (${names.length} in all)` : shown.join(', ')
}
