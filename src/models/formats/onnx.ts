import { readFile } from 'node:fs/promises'
import { InferenceSession, Tensor } from 'onnxruntime-node'
import { KeelError, invalidParameter } from '../../core/errors.js'
import type { Frame } from '../../core/frame.js'
import type { Signature } from '../../registry/types.js'
import { FRAME_ELEMENT_TYPES, matrixWidth, signatureOf } from './onnx-signature.js'
import type { OnnxValueInfo } from './onnx-signature.js'
import { packFrame, toFloat64 } from './onnx-tensors.js'
import type { FrameElementType, OnnxTensorData } from './onnx-tensors.js'

export type { OnnxValueInfo } from './onnx-signature.js'
export type { OnnxTensorData } from './onnx-tensors.js'

/**
 * ONNX models through onnxruntime-node (CPU). keel does not parse ONNX itself: onnxruntime validates the graph
 * and reports its inputs and outputs; keel maps those to a `Signature` and packs Frames into tensors.
 */

export interface OnnxInspection {
  signature: Signature
  inputNames: string[]
  outputNames: string[]
  inputs: OnnxValueInfo[]
  outputs: OnnxValueInfo[]
  /** n when the graph has a single 2-D float input `[batch, n]` with fixed n (a tabular model). */
  inputWidth?: number
}

export interface OnnxLoadOptions {
  /** Threads onnxruntime uses inside one operator (default: onnxruntime's, all cores). */
  threads?: number
}

export interface OnnxOutput {
  elementType: string
  dims: number[]
  data: unknown
}

export interface PredictFrameOptions {
  /** Which graph input the frame feeds; needed only when the graph has several. */
  inputName?: string
  /** Frame columns in the model's feature order (default: all frame columns, in frame order). */
  columns?: readonly string[]
  /** Which output to return (default: the first). */
  outputName?: string
}

/** Reads the graph's inputs and outputs; the file must be a loadable ONNX model. */
export async function inspectOnnxModel(path: string): Promise<OnnxInspection> {
  const model = await OnnxModel.load(path)
  try {
    return model.inspection()
  } finally {
    await model.close()
  }
}

export class OnnxModel {
  readonly source: string
  readonly inputs: readonly OnnxValueInfo[]
  readonly outputs: readonly OnnxValueInfo[]
  private session: InferenceSession | undefined

  private constructor(source: string, session: InferenceSession) {
    this.source = source
    this.session = session
    this.inputs = session.inputMetadata.map(valueInfo)
    this.outputs = session.outputMetadata.map(valueInfo)
  }

  static async load(path: string, options: OnnxLoadOptions = {}): Promise<OnnxModel> {
    let bytes: Buffer
    try {
      bytes = await readFile(path)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a directory' : String((error as Error).message)
      throw new KeelError('INVALID_PARAMETER_VALUE', `Cannot read the ONNX model '${path}': ${why}. Pass the path of a .onnx file.`, {
        cause: error,
      })
    }
    return OnnxModel.fromBytes(bytes, path, options)
  }

  /** From the model's bytes (an artifact already in memory); `source` names it in errors. */
  static async fromBytes(bytes: Uint8Array, source: string, options: OnnxLoadOptions = {}): Promise<OnnxModel> {
    if (bytes.length === 0) throw invalidParameter(`'${source}' is empty, not an ONNX model; export the model again.`)
    const sessionOptions: InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' }
    if (options.threads !== undefined) {
      if (!Number.isInteger(options.threads) || options.threads < 1) {
        throw invalidParameter(`'threads' must be a positive integer; got ${options.threads}.`)
      }
      sessionOptions.intraOpNumThreads = options.threads
    }
    let session: InferenceSession
    try {
      session = await InferenceSession.create(bytes, sessionOptions)
    } catch (error) {
      throw new KeelError('INVALID_PARAMETER_VALUE', `'${source}' is not a valid ONNX model${formatHint(bytes)}: ${runtimeMessage(error)}`, {
        cause: error,
        details: { source },
      })
    }
    return new OnnxModel(source, session)
  }

  get inputNames(): string[] {
    return this.inputs.map((i) => i.name)
  }

  get outputNames(): string[] {
    return this.outputs.map((o) => o.name)
  }

  get signature(): Signature {
    return signatureOf(this.inputs, this.outputs)
  }

  inspection(): OnnxInspection {
    const result: OnnxInspection = {
      signature: this.signature,
      inputNames: this.inputNames,
      outputNames: this.outputNames,
      inputs: this.inputs.map(copyInfo),
      outputs: this.outputs.map(copyInfo),
    }
    const width = this.inputs.length === 1 ? matrixWidth(this.inputs[0]!) : undefined
    if (width !== undefined) result.inputWidth = width
    return result
  }

  /**
   * Runs the graph on raw tensors: `inputs[name]` is row-major data, `dims[name]` its shape. Every graph
   * input must be fed, with its element type and with the graph's fixed dims; all outputs are returned.
   */
  async run(inputs: Readonly<Record<string, OnnxTensorData>>, dims: Readonly<Record<string, readonly number[]>>): Promise<Record<string, OnnxOutput>> {
    const session = this.open()
    const feeds: Record<string, Tensor> = {}
    const known = new Set(this.inputNames)
    for (const name of Object.keys(inputs)) {
      if (!known.has(name)) throw invalidParameter(`The ONNX model '${this.source}' has no input '${name}'; its inputs are ${quoted(this.inputNames)}.`)
    }
    for (const info of this.inputs) {
      const data = inputs[info.name]
      const shape = dims[info.name]
      if (data === undefined) throw invalidParameter(`Input '${info.name}' is missing; the ONNX model '${this.source}' needs ${quoted(this.inputNames)}.`)
      if (shape === undefined) throw invalidParameter(`'dims' has no shape for input '${info.name}'; give it, e.g. [rows, columns].`)
      feeds[info.name] = toTensor(info, data, shape)
    }
    let results: InferenceSession.OnnxValueMapType
    try {
      results = await session.run(feeds)
    } catch (error) {
      throw new KeelError('INVALID_PARAMETER_VALUE', `The ONNX model '${this.source}' rejected its inputs: ${runtimeMessage(error)}`, { cause: error })
    }
    const out: Record<string, OnnxOutput> = {}
    for (const name of this.outputNames) {
      const value = results[name]
      if (value === undefined) continue
      out[name] = { elementType: value.type, dims: [...value.dims], data: value.data }
    }
    return out
  }

  /**
   * Scores a frame: its numeric columns packed row-major into a `[rows, n]` float tensor fed to the one
   * (or named) 2-D input; returns the first (or named) output, row-major, as float64.
   */
  async predictFrame(frame: Frame, options: PredictFrameOptions = {}): Promise<Float64Array> {
    this.open()
    const input = this.frameInput(options.inputName)
    const output = this.pickOutput(options.outputName)
    const elementType = input.elementType as FrameElementType
    const packed = packFrame(frame, input.name, elementType, matrixWidth(input), options.columns)
    if (frame.rows === 0) return new Float64Array(0)
    const results = await this.run({ [input.name]: packed.data }, { [input.name]: packed.dims })
    const value = results[output.name]
    if (value === undefined) throw new KeelError('INTERNAL_ERROR', `onnxruntime returned no '${output.name}' output for '${this.source}'.`)
    return toFloat64(value.data, value.elementType, output.name)
  }

  /** Frees onnxruntime's session; later calls are refused. Idempotent. */
  async close(): Promise<void> {
    const session = this.session
    this.session = undefined
    if (session !== undefined) await session.release()
  }

  private open(): InferenceSession {
    if (this.session === undefined) throw invalidParameter(`The ONNX model '${this.source}' is closed; load it again.`)
    return this.session
  }

  private frameInput(inputName: string | undefined): OnnxValueInfo {
    if (inputName !== undefined && !this.inputNames.includes(inputName)) {
      throw invalidParameter(`'inputName' '${inputName}' is not an input of '${this.source}'; its inputs are ${quoted(this.inputNames)}.`)
    }
    // onnxruntime lists only inputs the graph needs (initializers excluded), so a frame can feed only a one-input graph.
    if (this.inputs.length !== 1) {
      throw invalidParameter(
        `The ONNX model '${this.source}' has ${this.inputs.length} inputs (${quoted(this.inputNames)}); a frame feeds a single 2-D input. Feed them all with run().`,
      )
    }
    const input = this.inputs[0]!
    if (input.elementType === undefined || !FRAME_ELEMENT_TYPES.has(input.elementType)) {
      throw invalidParameter(`ONNX input '${input.name}' is ${input.elementType ?? 'not a tensor'}; a frame can feed only a float32 or float64 input. Use run().`)
    }
    if (input.shape.length !== 0 && input.shape.length !== 2) {
      throw invalidParameter(`ONNX input '${input.name}' has ${input.shape.length} dims ([${input.shape.join(', ')}]); a frame feeds a 2-D [rows, columns] input. Use run().`)
    }
    return input
  }

  private pickOutput(outputName: string | undefined): OnnxValueInfo {
    if (outputName === undefined) {
      const first = this.outputs[0]
      if (first === undefined) throw invalidParameter(`The ONNX model '${this.source}' has no outputs.`)
      return first
    }
    const output = this.outputs.find((o) => o.name === outputName)
    if (output === undefined) throw invalidParameter(`'outputName' '${outputName}' is not an output of '${this.source}'; its outputs are ${quoted(this.outputNames)}.`)
    return output
  }
}

function valueInfo(meta: InferenceSession.ValueMetadata): OnnxValueInfo {
  return meta.isTensor ? { name: meta.name, elementType: meta.type, shape: [...meta.shape] } : { name: meta.name, elementType: undefined, shape: [] }
}

function copyInfo(info: OnnxValueInfo): OnnxValueInfo {
  return { name: info.name, elementType: info.elementType, shape: [...info.shape] }
}

/** Element types each typed array may carry (Uint8Array also carries bool, Uint16Array float16 codes). */
function elementTypesOf(data: OnnxTensorData): readonly string[] {
  if (data instanceof Float32Array) return ['float32']
  if (data instanceof Float64Array) return ['float64']
  if (data instanceof Int32Array) return ['int32']
  if (data instanceof BigInt64Array) return ['int64']
  if (data instanceof Uint8Array) return ['uint8', 'bool']
  if (data instanceof Int8Array) return ['int8']
  if (data instanceof Int16Array) return ['int16']
  if (data instanceof Uint16Array) return ['uint16', 'float16']
  if (data instanceof Uint32Array) return ['uint32']
  return ['uint64']
}

function toTensor(info: OnnxValueInfo, data: OnnxTensorData, shape: readonly number[]): Tensor {
  if (info.elementType === undefined) throw invalidParameter(`ONNX input '${info.name}' is not a tensor (a sequence or map); keel feeds tensors only.`)
  const accepted = elementTypesOf(data)
  if (!accepted.includes(info.elementType)) {
    throw invalidParameter(`ONNX input '${info.name}' takes ${info.elementType} data but was given a ${data.constructor.name} (${accepted.join('/')}).`)
  }
  let size = 1
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw invalidParameter(`dims of input '${info.name}' must be non-negative integers; got [${shape.join(', ')}].`)
    size *= d
  }
  if (size !== data.length) {
    throw invalidParameter(`Input '${info.name}' has ${data.length} values but dims [${shape.join(', ')}] make ${size}.`)
  }
  if (info.shape.length > 0) {
    if (shape.length !== info.shape.length) {
      throw invalidParameter(`ONNX input '${info.name}' has ${info.shape.length} dims ([${info.shape.join(', ')}]) but was given ${shape.length} ([${shape.join(', ')}]).`)
    }
    for (let k = 0; k < shape.length; k++) {
      const want = info.shape[k]
      if (typeof want === 'number' && want >= 0 && want !== shape[k]) {
        throw invalidParameter(`ONNX input '${info.name}' needs size ${want} in dim ${k} ([${info.shape.join(', ')}]); given [${shape.join(', ')}].`)
      }
    }
  }
  return new Tensor(info.elementType as 'float32', data as Float32Array, shape)
}

/** A hint when the bytes are plainly another format (the usual mistake: the wrong file or --format). */
function formatHint(bytes: Uint8Array): string {
  let i = 0
  while (i < bytes.length && i < 64 && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++
  const first = bytes[i]
  if (first === 0x7b || first === 0x5b) return ' (it looks like JSON: for an XGBoost model use --format xgboost)'
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return ' (it is a zip archive, e.g. a PyTorch .pt checkpoint: export it with torch.onnx.export)'
  if (bytes[0] === 0x80) return ' (it looks like a Python pickle: export the model to ONNX first)'
  return ' (it may be truncated, corrupt or another format)'
}

function runtimeMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function quoted(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ')
}
