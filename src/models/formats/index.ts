import { readFile } from 'node:fs/promises'
import { invalidParameter } from '../../core/errors.js'
import type { Signature } from '../../registry/types.js'
import type { Task } from '../predictor.js'
import { matrixWidth } from './onnx-signature.js'
import { XgboostPredictor } from './xgboost.js'

export { parseXgboostModel, XgboostPredictor, xgboostImported, XGBOOST_KIND, XGBOOST_OBJECTIVES } from './xgboost.js'
export type { XgboostModel, XgboostObjective, XgboostPredictorOptions } from './xgboost.js'

export type ModelFormatName = 'xgboost' | 'onnx'

/** Written as `keel-model.json` beside an imported model file: what a loader needs before opening the file. */
export interface ImportedModelManifest {
  format: 'keel-imported-model'
  formatVersion: 1
  modelFormat: ModelFormatName
  /** The model file's name in the same artifact directory (kept byte for byte as given). */
  file: string
  task?: Task
  objective?: string
  features: string[]
  classes?: string[]
  signature: Signature
}

export interface InspectOptions {
  classes?: readonly string[]
  /** Names of the columns of a model's single 2-D `[batch, n]` input (ONNX), in order; default `<input>_0 … <input>_{n−1}`. */
  columns?: readonly string[]
}

/** What inspecting a model file found; refusing a bad file here means nothing is stored. */
export type ImportedModelInfo = Omit<ImportedModelManifest, 'format' | 'formatVersion' | 'file'>

export interface ModelFormat {
  readonly name: ModelFormatName
  /** File name the model is stored under in the run's `model/` artifact directory. */
  readonly fileName: string
  inspect(path: string, options?: InspectOptions): Promise<ImportedModelInfo>
}

const xgboostFormat: ModelFormat = {
  name: 'xgboost',
  fileName: 'model.json',
  async inspect(path, options = {}) {
    const text = await readModelFile(path)
    const predictor = XgboostPredictor.fromJson(text, options.classes === undefined ? {} : { classes: options.classes })
    const info: ImportedModelInfo = {
      modelFormat: 'xgboost',
      task: predictor.task,
      objective: predictor.model.objective,
      features: [...predictor.features],
      signature: {
        // XGBoost reads features as float32 and treats NaN as missing, so inputs are optional doubles.
        inputs: predictor.features.map((name) => ({ name, type: 'double', required: false })),
        outputs:
          predictor.classes === undefined
            ? [{ name: predictor.target, type: 'double' }]
            : predictor.classes.map((c) => ({ name: `probability_${c}`, type: 'double' })),
      },
    }
    if (predictor.classes !== undefined) info.classes = [...predictor.classes]
    return info
  },
}

const onnxFormat: ModelFormat = {
  name: 'onnx',
  fileName: 'model.onnx',
  async inspect(path, options = {}) {
    // Loaded on demand: onnxruntime-node is a native module that only ONNX imports need.
    const { inspectOnnxModel } = await import('./onnx.js')
    const found = await inspectOnnxModel(path)
    const width = found.inputs.length === 1 ? matrixWidth(found.inputs[0]!) : undefined
    if (width === undefined) {
      if (options.columns !== undefined) {
        throw invalidParameter(`--columns names the columns of a single 2-D [batch, n] float input, but this model's inputs are ${found.signature.inputs.map((c) => `${c.name} ${c.type}`).join(', ')}; leave --columns out.`)
      }
      return { modelFormat: 'onnx', features: found.signature.inputs.map((c) => c.name), signature: found.signature }
    }
    // A tabular model: one [batch, n] input whose n columns are the features. Naming them lets rows and
    // data frames (CSV, /invocations) feed it by column, as for any other model.
    const input = found.inputs[0]!
    const columns = options.columns ?? Array.from({ length: width }, (_, i) => `${input.name}_${i}`)
    if (columns.length !== width) {
      throw invalidParameter(`--columns gives ${columns.length} names but the model's input '${input.name}' has ${width} columns; give exactly ${width}.`)
    }
    const duplicate = columns.find((c, i) => columns.indexOf(c) !== i)
    if (duplicate !== undefined) throw invalidParameter(`--columns names '${duplicate}' twice; column names must be unique.`)
    const type = input.elementType === 'float64' ? 'double' : 'float'
    return {
      modelFormat: 'onnx',
      features: [...columns],
      signature: { inputs: columns.map((name) => ({ name, type })), outputs: found.signature.outputs },
    }
  },
}

/** Every importable model format by the name `keel models import --format` takes. */
export const MODEL_FORMATS: Readonly<Record<ModelFormatName, ModelFormat>> = {
  xgboost: xgboostFormat,
  onnx: onnxFormat,
}

export function modelFormat(name: string): ModelFormat {
  if (!Object.hasOwn(MODEL_FORMATS, name)) {
    throw invalidParameter(`Unknown model format '${name}'. Use one of: ${Object.keys(MODEL_FORMATS).join(', ')}.`)
  }
  return MODEL_FORMATS[name as ModelFormatName]
}

async function readModelFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    throw invalidParameter(`Cannot read the model file '${path}': ${(error as Error).message}`)
  }
}
