import { aborted, invalidParameter, KeelError } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import type { Predictor } from '../models/predictor.js'
import { evaluateClassifier, evaluateRegressor } from './evaluate.js'
import { kFold, stratifiedKFold } from './splitters.js'
import type { Split } from './splitters.js'

export interface FitContextForFold {
  /** Fold (or trial round) index, for progress messages. */
  fold: number
  seed: number
  signal?: AbortSignal
}

/** Trains a model on `train`; cross-validation and search call it once per fold. */
export type FitFn = (train: Frame, target: string, context: FitContextForFold) => Promise<Predictor> | Predictor

export interface CrossValidateOptions {
  /** Default 5. */
  folds?: number
  /** Stratify folds by the target's classes (classification). */
  stratified?: boolean
  /** Shuffle rows (k-fold) or fold ids within each class (stratified) with `seed`; default false. */
  shuffle?: boolean
  seed?: number
  /** Keep only these metrics (names from evaluateClassifier / evaluateRegressor); default all. */
  metrics?: readonly string[]
  /** Your own splits instead of `folds`. */
  splits?: readonly Split[]
  signal?: AbortSignal
}

export interface FoldResult {
  fold: number
  trainRows: number
  testRows: number
  metrics: Record<string, number>
}

export interface CrossValidationResult {
  folds: FoldResult[]
  /** Mean over the folds where the metric is defined. */
  mean: Record<string, number>
  /** Population standard deviation (ddof 0, as numpy's default) over the same folds. */
  std: Record<string, number>
}

/** The target column as class labels for stratification: category codes, or the numeric values. */
export function stratificationLabels(frame: Frame, target: string): Float64Array {
  const column = frame.column(target)
  const out = column.kind === 'numeric' ? Float64Array.from(column.values) : Float64Array.from(column.codes)
  for (let i = 0; i < out.length; i++) {
    const missing = column.kind === 'numeric' ? !Number.isFinite(out[i]!) : out[i]! < 0
    if (missing) {
      throw invalidParameter(`Target '${target}' is missing or not finite at row ${i}; drop those rows before cross-validation.`)
    }
  }
  return out
}

/** Evaluates a trained predictor on `frame`: evaluateClassifier or evaluateRegressor by its task. */
export function evaluatePredictor(predictor: Predictor, frame: Frame, target: string): Record<string, number> {
  if (predictor.task === 'regression') {
    const yTrue = frame.numeric(target)
    return evaluateRegressor({ yTrue, yPred: predictor.predict(frame) }).metrics
  }
  const classes = predictor.classes ?? []
  const yTrue = classIndices(frame, target, classes)
  return evaluateClassifier({ yTrue, proba: predictor.predictProba(frame), yPred: predictor.predict(frame), classes }).metrics
}

/** The target as indices into the classifier's `classes` (numbers match by their string form). */
function classIndices(frame: Frame, target: string, classes: readonly string[]): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]))
  const column = frame.column(target)
  const out = new Int32Array(frame.rows)
  for (let i = 0; i < frame.rows; i++) {
    const label = column.kind === 'numeric' ? String(column.values[i]) : column.codes[i]! < 0 ? 'NaN' : column.categories[column.codes[i]!]!
    const at = index.get(label)
    if (at === undefined) {
      throw invalidParameter(
        `Target '${target}' has the class '${label}' at row ${i}, which the model never saw in training (classes: ${classes.join(', ')}). ` +
          'Use stratified folds or drop rare classes.',
      )
    }
    out[i] = at
  }
  return out
}

export async function crossValidate(frame: Frame, target: string, fit: FitFn, options: CrossValidateOptions = {}): Promise<CrossValidationResult> {
  frame.column(target)
  const seed = options.seed ?? 0
  const splits =
    options.splits ??
    (options.stratified === true
      ? stratifiedKFold(stratificationLabels(frame, target), foldOptions(options, seed))
      : kFold(frame.rows, foldOptions(options, seed)))
  const folds: FoldResult[] = []
  for (let f = 0; f < splits.length; f++) {
    if (options.signal?.aborted === true) throw aborted('Cross-validation was aborted.')
    const { train, test } = splits[f]!
    const context: FitContextForFold = { fold: f, seed: seed + f }
    if (options.signal !== undefined) context.signal = options.signal
    const predictor = await fit(frame.take(train), target, context)
    folds.push({ fold: f, trainRows: train.length, testRows: test.length, metrics: pick(evaluatePredictor(predictor, frame.take(test), target), options.metrics) })
  }
  return { folds, ...summarise(folds.map((f) => f.metrics)) }
}

function foldOptions(options: CrossValidateOptions, seed: number): { folds: number; shuffle: boolean; seed: number } {
  return { folds: options.folds ?? 5, shuffle: options.shuffle ?? false, seed }
}

export function pick(metrics: Record<string, number>, names: readonly string[] | undefined): Record<string, number> {
  if (names === undefined) return metrics
  const out: Record<string, number> = {}
  for (const name of names) {
    const value = metrics[name]
    if (value === undefined && !KNOWN_METRICS.has(name)) {
      throw invalidParameter(`Unknown metric '${name}'; choose from ${Object.keys(metrics).join(', ')}.`)
    }
    if (value !== undefined) out[name] = value
  }
  return out
}

/** Every metric evaluateClassifier/evaluateRegressor can return (some are undefined on some data). */
const KNOWN_METRICS = new Set(['roc_auc', 'pr_auc'])

/** Mean and population std of each metric over the records that have it. */
export function summarise(records: ReadonlyArray<Record<string, number>>): { mean: Record<string, number>; std: Record<string, number> } {
  const names = [...new Set(records.flatMap((r) => Object.keys(r)))]
  const mean: Record<string, number> = {}
  const std: Record<string, number> = {}
  for (const name of names) {
    const values = records.map((r) => r[name]).filter((v): v is number => v !== undefined)
    const m = values.reduce((a, b) => a + b, 0) / values.length
    mean[name] = m
    std[name] = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length)
  }
  return { mean, std }
}
