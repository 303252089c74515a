import { invalidParameter } from '../core/errors.js'
import { Frame, type Row } from '../core/frame.js'
import { createRegisters, type ColumnKind, type ColumnStep, type RowRegisters } from './column-step.js'
import { fitTransform, FittedTransform, type TransformSpec } from './fitted-transform.js'
import { readRowInput } from './row-input.js'
import { targetValues } from './target-values.js'

export interface PipelineOptions {
  /** Seed for everything random in fitting (target encoding's folds). Default 0. */
  seed?: number
  /**
   * Let categorical columns that no step encodes through as categorical features (for algorithms that split
   * strings natively, e.g. gbdt). Default false: such a column is an error naming the encoding steps.
   */
  passCategorical?: boolean
}

/** Model feature values of one row: numbers (NaN missing), category strings (null missing) when passed through. */
export type FeatureRecord = Record<string, number | string | null>

export interface PipelineInput {
  name: string
  kind: ColumnKind
}

/** A fitted pipeline's saved form (JSON), stored with the model version. */
export interface SavedPipeline {
  format: 'keel-pipeline'
  formatVersion: 1
  seed: number
  target?: string
  /** Present (true) only when categorical columns pass through; older pipelines lack it. */
  passCategorical?: true
  inputs: PipelineInput[]
  steps: Array<{ spec: TransformSpec; columns: Array<{ input: string; state: unknown }> }>
  outputFeatures: string[]
}

/**
 * An ordered list of transform specs. `fit` learns every step on the training frame (each step sees the
 * previous step's output) and returns a `FittedPipeline` that applies the same numbers to frames and rows.
 */
export class Pipeline {
  readonly steps: readonly TransformSpec[]
  readonly seed: number
  readonly passCategorical: boolean

  constructor(steps: readonly TransformSpec[], options: PipelineOptions = {}) {
    if (!Array.isArray(steps)) throw invalidParameter(`A pipeline is a list of transform specs, got ${JSON.stringify(steps)}.`)
    this.steps = steps
    this.seed = options.seed ?? 0
    this.passCategorical = options.passCategorical ?? false
  }

  fit(frame: Frame, target?: string): FittedPipeline {
    return this.fitTransform(frame, target).pipeline
  }

  /** Fits and returns the training features too: cross-fitted steps give out-of-fold values there. */
  fitTransform(frame: Frame, target?: string): { pipeline: FittedPipeline; frame: Frame } {
    // Only target encoding reads the target; other pipelines accept any target (multiclass labels, say).
    const needsTarget = this.steps.some((s) => (s as { type?: unknown } | null)?.type === 'targetEncode')
    const y = target === undefined || !needsTarget ? undefined : targetValues(frame, target)
    if (target !== undefined && !frame.has(target)) throw invalidParameter(`The target column '${target}' is not in the data. Columns: ${frame.names.slice(0, 20).join(', ')}.`)
    let current = target === undefined ? frame : frame.drop([target])
    const inputs = current.columns.map((c) => ({ name: c.name, kind: c.kind }))
    const fitted: FittedTransform[] = []
    const context = y === undefined || target === undefined ? { seed: this.seed } : { seed: this.seed, target: y, targetName: target }
    this.steps.forEach((spec, i) => {
      const { fitted: step, training } = fitTransform(spec, current, context, `Pipeline step ${i + 1}`)
      fitted.push(step)
      current = training
    })
    const pipeline = new FittedPipeline(inputs, fitted, this.seed, target, { passCategorical: this.passCategorical })
    return { pipeline, frame: current }
  }
}

interface Instruction {
  step: ColumnStep
  from: number
  to: number
}

export class FittedPipeline {
  readonly outputFeatures: readonly string[]
  /** The kind of each output feature; 'categorical' only when the pipeline passes categorical columns through. */
  readonly outputKinds: readonly ColumnKind[]
  readonly passCategorical: boolean
  /** Whether any output feature is categorical (rows then need `transformRecord` to carry the strings). */
  readonly hasCategoricalOutputs: boolean
  private readonly program: Instruction[] = []
  private readonly featureSlots: Int32Array
  private readonly regs: RowRegisters

  constructor(
    readonly inputs: readonly PipelineInput[],
    readonly transforms: readonly FittedTransform[],
    readonly seed: number,
    readonly target?: string,
    options: { passCategorical?: boolean } = {},
  ) {
    this.passCategorical = options.passCategorical ?? false
    // Lay out registers: inputs first, then each step's outputs; a column name points at its latest slot.
    const current: Array<{ name: string; kind: ColumnKind; slot: number }> = inputs.map((c, slot) => ({ ...c, slot }))
    let next = inputs.length
    for (const transform of transforms) {
      for (const step of transform.steps) {
        const at = current.findIndex((c) => c.name === step.input)
        const source = current[at]
        if (source === undefined || source.kind !== step.inputKind) throw invalidParameter(`The pipeline's step for '${step.input}' has no ${step.inputKind} input column; the pipeline file is corrupt.`)
        this.program.push({ step, from: source.slot, to: next })
        current.splice(at, 1, ...step.outputs.map((name, j) => ({ name, kind: step.outputKind, slot: next + j })))
        next += step.outputs.length
      }
    }
    const categorical = current.filter((c) => c.kind === 'categorical').map((c) => `'${c.name}'`)
    if (categorical.length > 0 && !this.passCategorical) {
      throw invalidParameter(
        `Column ${categorical.join(', ')} is categorical and no pipeline step encodes it; add a oneHot, ordinal or targetEncode step for it, or a drop step (or use gbdt, which splits string columns natively).`,
      )
    }
    this.outputKinds = current.map((c) => c.kind)
    this.hasCategoricalOutputs = categorical.length > 0
    if (new Set(current.map((c) => c.name)).size !== current.length) throw invalidParameter(`The pipeline produces two features with the same name; rename a column or drop one.`)
    this.outputFeatures = current.map((c) => c.name)
    this.featureSlots = Int32Array.from(current, (c) => c.slot)
    this.regs = createRegisters(next)
  }

  /**
   * A frame whose columns are `outputFeatures`, in that order: numeric, except categorical columns passed
   * through (`passCategorical`), which keep the frame's own strings. Extra columns are ignored.
   */
  transform(frame: Frame): Frame {
    const absent = this.inputs.filter((c) => !frame.has(c.name)).map((c) => `'${c.name}'`)
    if (absent.length > 0) throw invalidParameter(`The data has no column ${absent.join(', ')}, which the feature pipeline was fitted with; add it (missing values are allowed).`)
    for (const input of this.inputs) {
      const column = frame.column(input.name)
      if (column.kind !== input.kind) {
        throw invalidParameter(`Column '${input.name}' is ${column.kind} but was ${input.kind} when the pipeline was fitted; read it with the same type as the training data.`)
      }
    }
    let current = frame.select(this.inputs.map((c) => c.name))
    for (const transform of this.transforms) current = transform.transform(current)
    return current.select(this.outputFeatures)
  }

  /**
   * The feature vector of one JSON row, in `outputFeatures` order; pass `out` to score without allocating.
   * Categorical features passed through are NaN here: use `transformRecord` to get their strings.
   */
  transformRow(row: Row, out: Float64Array = new Float64Array(this.outputFeatures.length)): Float64Array {
    if (out.length !== this.outputFeatures.length) throw invalidParameter(`transformRow's 'out' has length ${out.length}; it needs ${this.outputFeatures.length} (one per output feature).`)
    this.run(row)
    const { regs, featureSlots, outputKinds } = this
    for (let j = 0; j < featureSlots.length; j++) out[j] = outputKinds[j] === 'numeric' ? regs.num[featureSlots[j]!]! : Number.NaN
    return out
  }

  /**
   * One JSON row's features by name, numbers and (passed-through) category strings alike: what a predictor
   * that takes strings reads. Writes into `out` when given (reuse it to score rows without allocating).
   */
  transformRecord(row: Row, out: FeatureRecord = {}): FeatureRecord {
    this.run(row)
    const { regs, featureSlots, outputKinds, outputFeatures } = this
    for (let j = 0; j < featureSlots.length; j++) {
      out[outputFeatures[j]!] = outputKinds[j] === 'numeric' ? regs.num[featureSlots[j]!]! : regs.str[featureSlots[j]!]!
    }
    return out
  }

  private run(row: Row): void {
    const { regs, inputs, program } = this
    for (let i = 0; i < inputs.length; i++) readRowInput(row, inputs[i]!.name, inputs[i]!.kind, regs, i)
    for (let i = 0; i < program.length; i++) {
      const p = program[i]!
      p.step.applyRow(regs, p.from, p.to)
    }
  }

  save(): SavedPipeline {
    const saved: SavedPipeline = {
      format: 'keel-pipeline',
      formatVersion: 1,
      seed: this.seed,
      inputs: this.inputs.map((c) => ({ name: c.name, kind: c.kind })),
      steps: this.transforms.map((t) => ({ spec: t.spec, columns: t.steps.map((s) => ({ input: s.input, state: s.state })) })),
      outputFeatures: [...this.outputFeatures],
    }
    if (this.target !== undefined) saved.target = this.target
    if (this.passCategorical) saved.passCategorical = true
    // A JSON round trip makes the saved form plain data (no shared references into the live pipeline).
    return JSON.parse(JSON.stringify(saved)) as SavedPipeline
  }
}

/** Rebuilds a fitted pipeline from `save()`'s JSON (object or string); a foreign or corrupt file is an error. */
export function loadPipeline(json: unknown): FittedPipeline {
  const doc: unknown = typeof json === 'string' ? parseJson(json) : json
  const d = doc as Partial<SavedPipeline> | null
  if (d === null || typeof d !== 'object' || d.format !== 'keel-pipeline' || d.formatVersion !== 1) {
    throw invalidParameter(`Not a keel feature pipeline: expected format 'keel-pipeline' version 1; pass the output of FittedPipeline.save().`)
  }
  if (!Array.isArray(d.inputs) || !Array.isArray(d.steps) || !Array.isArray(d.outputFeatures) || typeof d.seed !== 'number') {
    throw invalidParameter(`The saved pipeline lacks 'inputs', 'steps', 'outputFeatures' or 'seed'; the pipeline file is corrupt.`)
  }
  const kinds = new Map<string, ColumnKind>()
  const inputs = d.inputs.map((c, i): PipelineInput => {
    if (typeof c?.name !== 'string' || (c.kind !== 'numeric' && c.kind !== 'categorical')) throw invalidParameter(`Saved pipeline input ${i + 1} needs a name and kind; the pipeline file is corrupt.`)
    kinds.set(c.name, c.kind)
    return { name: c.name, kind: c.kind }
  })
  const transforms = d.steps.map((s, i) => {
    if (!Array.isArray(s?.columns)) throw invalidParameter(`Saved pipeline step ${i + 1} has no columns; the pipeline file is corrupt.`)
    const columns = s.columns.map((c) => {
      const inputKind = kinds.get(c.input)
      if (inputKind === undefined) throw invalidParameter(`Saved pipeline step ${i + 1} reads '${c.input}', which no earlier step produces; the pipeline file is corrupt.`)
      return { input: c.input, inputKind, state: c.state }
    })
    const transform = FittedTransform.load(s.spec, columns, `Pipeline step ${i + 1}`)
    for (const step of transform.steps) {
      kinds.delete(step.input)
      for (const name of step.outputs) kinds.set(name, step.outputKind)
    }
    return transform
  })
  if (d.passCategorical !== undefined && d.passCategorical !== true) throw invalidParameter(`The saved pipeline's 'passCategorical' must be true when present; the pipeline file is corrupt.`)
  const pipeline = new FittedPipeline(inputs, transforms, d.seed, typeof d.target === 'string' ? d.target : undefined, { passCategorical: d.passCategorical === true })
  if (JSON.stringify(pipeline.outputFeatures) !== JSON.stringify(d.outputFeatures)) {
    throw invalidParameter(`The saved pipeline's outputFeatures do not match its steps; the pipeline file is corrupt.`)
  }
  return pipeline
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw invalidParameter(`The saved pipeline is not valid JSON: ${(error as Error).message}.`)
  }
}
