import { invalidParameter } from '../core/errors.js'
import { cellValue } from '../core/frame.js'
import type { Frame } from '../core/frame.js'
import { accuracy, precisionRecallF1 } from '../evaluation/classification-metrics.js'
import { logLoss } from '../evaluation/probability-metrics.js'
import { averagePrecision, rocAuc } from '../evaluation/ranking-metrics.js'
import { meanAbsoluteError, r2Score, rootMeanSquaredError } from '../evaluation/regression-metrics.js'
import type { CbpeCalibration } from './cbpe-calibration.js'

/**
 * Model performance in production. Realized: the evaluation metrics on the predictions that have a true
 * outcome (feedback). Estimated (before labels land), for classifiers: NannyML's CBPE — if the scores are
 * calibrated, each prediction contributes its expected confusion-matrix entries (reference/monitoring.md §2.1).
 * The monitor reports both; realized replaces estimated once labels exist.
 */

export type PerformanceTask = 'classification' | 'regression'

/** A prediction's outputs as captured: `prediction`, and `probability_<class>` for classifiers. */
export type PredictionOutputs = Readonly<Record<string, number | string | null>>

const PROBABILITY = 'probability_'

/** The classes of a classifier's outputs (from its `probability_<class>` keys, in key order). */
export function outputClasses(outputs: PredictionOutputs): string[] {
  return Object.keys(outputs).filter((k) => k.startsWith(PROBABILITY)).map((k) => k.slice(PROBABILITY.length))
}

/** Classification when the outputs carry class probabilities or a string prediction; else regression. */
export function taskOf(outputs: PredictionOutputs): PerformanceTask {
  return outputClasses(outputs).length > 0 || typeof outputs['prediction'] === 'string' ? 'classification' : 'regression'
}

/** Runs a metric; a window where it is undefined (one class only, no positives) gives NaN, as NannyML. */
function safe(metric: () => number): number {
  try {
    const v = metric()
    return Number.isFinite(v) ? v : Number.NaN
  } catch {
    return Number.NaN
  }
}

/**
 * Realized metrics of labelled predictions (row i of `outputs` has the true outcome `outcomes[i]`).
 * Classification: roc_auc, pr_auc, f1, precision, recall, accuracy, log_loss (binary against the second
 * class, e.g. "1"; multiclass one-vs-rest / macro). Regression: rmse, mae, r2. Also `labelled` (rows).
 */
export function realizedPerformance(
  task: PerformanceTask,
  outputs: readonly PredictionOutputs[],
  outcomes: ReadonlyArray<number | string>,
): Record<string, number> {
  if (outputs.length !== outcomes.length) {
    throw invalidParameter(`realizedPerformance: ${outputs.length} outputs but ${outcomes.length} outcomes; pass one outcome per prediction.`)
  }
  const n = outputs.length
  if (n === 0) return { labelled: 0 }
  if (task === 'regression') {
    const yTrue = new Float64Array(n)
    const yPred = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      yTrue[i] = Number(outcomes[i])
      yPred[i] = Number(outputs[i]!['prediction'])
    }
    return {
      labelled: n,
      rmse: safe(() => rootMeanSquaredError(yTrue, yPred)),
      mae: safe(() => meanAbsoluteError(yTrue, yPred)),
      r2: safe(() => r2Score(yTrue, yPred)),
    }
  }
  const classes = outputClasses(outputs[0]!)
  if (classes.length === 0) {
    // No probabilities: only the label metrics, over the classes seen.
    const seen = [...new Set([...outcomes.map(String), ...outputs.map((o) => String(o['prediction']))])].sort()
    return { labelled: n, ...labelMetrics(codes(outcomes, seen), codes(outputs.map((o) => o['prediction'] ?? ''), seen), seen.length) }
  }
  const k = classes.length
  const proba = new Float64Array(n * k)
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) proba[i * k + c] = Number(outputs[i]![`${PROBABILITY}${classes[c]!}`] ?? Number.NaN)
  }
  const yTrue = codes(outcomes, classes)
  const yPred = predictedCodes(outputs, proba, classes)
  const positive = k === 2 ? proba.filter((_, j) => j % 2 === 1) : proba
  return {
    labelled: n,
    roc_auc: safe(() => rocAuc(yTrue, positive)),
    pr_auc: safe(() => averagePrecision(yTrue, positive)),
    ...labelMetrics(yTrue, yPred, k),
    log_loss: safe(() => logLoss(yTrue, k === 2 ? positive : proba)),
  }
}

function labelMetrics(yTrue: Int32Array, yPred: Int32Array, k: number): Record<string, number> {
  const average = k <= 2 ? 'binary' : 'macro'
  const labels = Array.from({ length: Math.max(k, 2) }, (_, i) => i)
  const prf = (): ReturnType<typeof precisionRecallF1> => precisionRecallF1(yTrue, yPred, { average, labels })
  return {
    f1: safe(() => prf().f1),
    precision: safe(() => prf().precision),
    recall: safe(() => prf().recall),
    accuracy: safe(() => accuracy(yTrue, yPred)),
  }
}

/** Class indices of labels; a label outside `classes` is refused (feedback was checked when stored). */
function codes(labels: ReadonlyArray<number | string | null>, classes: readonly string[]): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]))
  const out = new Int32Array(labels.length)
  for (let i = 0; i < labels.length; i++) {
    const code = index.get(String(labels[i]))
    if (code === undefined) {
      throw invalidParameter(`Label ${JSON.stringify(labels[i])} at row ${i} is not a class of the model (${classes.join(', ')}).`)
    }
    out[i] = code
  }
  return out
}

/** The answered class of each row: its `prediction` when it names a class, else the most probable class. */
function predictedCodes(outputs: readonly PredictionOutputs[], proba: Float64Array, classes: readonly string[]): Int32Array {
  const k = classes.length
  const index = new Map(classes.map((c, i) => [c, i]))
  const out = new Int32Array(outputs.length)
  for (let i = 0; i < outputs.length; i++) {
    const given = index.get(String(outputs[i]!['prediction']))
    out[i] = given ?? argmax(proba, i * k, k)
  }
  return out
}

function argmax(values: Float64Array, at: number, k: number): number {
  let best = 0
  for (let c = 1; c < k; c++) if (values[at + c]! > values[at + best]!) best = c
  return best
}

/**
 * `realizedPerformance` over a window's output columns (`prediction`, `probability_<class>`), as the monitor
 * holds them: `classes` names the probability columns to read (empty for a regressor).
 */
export function realizedPerformanceOfFrame(
  task: PerformanceTask,
  outputs: Frame,
  outcomes: ReadonlyArray<number | string>,
  classes: readonly string[],
): Record<string, number> {
  const names = ['prediction', ...classes.map((c) => `${PROBABILITY}${c}`)].filter((name) => outputs.has(name))
  const columns = names.map((name) => outputs.column(name))
  const rows: PredictionOutputs[] = new Array<PredictionOutputs>(outputs.rows)
  for (let i = 0; i < outputs.rows; i++) {
    const row: Record<string, number | string | null> = {}
    for (let j = 0; j < names.length; j++) row[names[j]!] = cellValue(columns[j]!, i)
    rows[i] = row
  }
  return realizedPerformance(task, rows, outcomes)
}

/** `estimateCbpe` over a window's `probability_<class>` columns (and its `prediction` column when present). */
export function estimateCbpeOfFrame(outputs: Frame, classes: readonly string[], options: Omit<CbpeOptions, 'predicted'> = {}): Record<string, number> {
  const k = classes.length
  const n = outputs.rows
  const proba = new Float64Array(n * k)
  for (let c = 0; c < k; c++) {
    const values = outputs.numeric(`${PROBABILITY}${classes[c]!}`)
    for (let i = 0; i < n; i++) proba[i * k + c] = values[i]!
  }
  const estimateOptions: CbpeOptions = { ...options }
  if (outputs.has('prediction')) {
    const column = outputs.column('prediction')
    const index = new Map(classes.map((c, i) => [c, i]))
    const predicted = argmaxRows(proba, n, k)
    for (let i = 0; i < n; i++) {
      const given = index.get(String(cellValue(column, i)))
      if (given !== undefined) predicted[i] = given
    }
    estimateOptions.predicted = predicted
  }
  return estimateCbpe(proba, classes, estimateOptions)
}

// ---------------------------------------------------------------------------------------------------------
// CBPE

export interface CbpeOptions {
  /** The answered class per row (class index); default the most probable class (threshold 0.5 in binary). */
  predicted?: Int32Array
  /** Per-class calibrators fitted on reference data (`fitCbpeCalibration`); default: scores assumed calibrated. */
  calibration?: CbpeCalibration
}

/**
 * Expected metrics of a window without labels, from row-major `n × classes.length` probabilities.
 * Binary (two classes, the second positive): expected TP = Σ_{ŷ=1} p̂, FP = Σ_{ŷ=1} 1−p̂, FN = Σ_{ŷ=0} p̂,
 * TN = Σ_{ŷ=0} 1−p̂; precision, recall, f1, accuracy from those; roc_auc by sweeping every distinct p̂ as a
 * threshold (expected TPR/FPR) and integrating. Multiclass: one-vs-rest per class, macro-averaged; accuracy
 * is the mean p̂ of the predicted class.
 */
export function estimateCbpe(probabilities: Float64Array, classes: readonly string[], options: CbpeOptions = {}): Record<string, number> {
  const k = classes.length
  if (k < 2) throw invalidParameter(`estimateCbpe needs at least two classes, got ${k}.`)
  if (probabilities.length % k !== 0) {
    throw invalidParameter(`estimateCbpe: ${probabilities.length} probabilities is not a multiple of ${k} classes; pass rows × classes (row-major).`)
  }
  const n = probabilities.length / k
  if (n === 0) return { rows: 0 }
  const proba = options.calibration === undefined ? probabilities : options.calibration.apply(probabilities)
  const predicted = options.predicted ?? argmaxRows(probabilities, n, k)
  if (predicted.length !== n) throw invalidParameter(`estimateCbpe: ${predicted.length} predicted classes for ${n} rows.`)
  const column = (c: number): Float64Array => {
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = proba[i * k + c]!
    return out
  }
  if (k === 2) {
    const p = column(1)
    const yHat = new Uint8Array(n)
    for (let i = 0; i < n; i++) yHat[i] = predicted[i] === 1 ? 1 : 0
    return { rows: n, ...binaryExpected(p, yHat) }
  }
  const sums: Record<string, number> = { roc_auc: 0, precision: 0, recall: 0, f1: 0 }
  let correct = 0
  for (let i = 0; i < n; i++) correct += proba[i * k + predicted[i]!]!
  for (let c = 0; c < k; c++) {
    const yHat = new Uint8Array(n)
    for (let i = 0; i < n; i++) yHat[i] = predicted[i] === c ? 1 : 0
    const one = binaryExpected(column(c), yHat)
    for (const key of Object.keys(sums)) sums[key]! += one[key]!
  }
  const out: Record<string, number> = { rows: n, accuracy: correct / n }
  for (const [key, sum] of Object.entries(sums)) out[key] = sum / k
  return out
}

function argmaxRows(proba: Float64Array, n: number, k: number): Int32Array {
  const out = new Int32Array(n)
  for (let i = 0; i < n; i++) out[i] = argmax(proba, i * k, k)
  return out
}

function binaryExpected(p: Float64Array, yHat: Uint8Array): Record<string, number> {
  let tp = 0
  let fp = 0
  let fn = 0
  let tn = 0
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!
    if (yHat[i] === 1) {
      tp += pi
      fp += 1 - pi
    } else {
      fn += pi
      tn += 1 - pi
    }
  }
  const ratio = (a: number, b: number): number => (b > 0 ? a / b : Number.NaN)
  return {
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    accuracy: (tp + tn) / p.length,
    roc_auc: expectedRocAuc(p),
  }
}

/** NannyML's CBPE ROC AUC: each distinct p̂ a threshold, expected TPR = Σ_{p≥t} p / Σ p, FPR likewise with 1−p. */
export function expectedRocAuc(p: Float64Array): number {
  const sorted = Float64Array.from(p).sort().reverse()
  let totalPos = 0
  for (const v of sorted) totalPos += v
  const totalNeg = sorted.length - totalPos
  if (totalPos <= 0 || totalNeg <= 0) return Number.NaN
  let tp = 0
  let fp = 0
  let prevTpr = 0
  let prevFpr = 0
  let area = 0
  for (let i = 0; i < sorted.length; ) {
    const t = sorted[i]!
    // Tied scores are one threshold.
    while (i < sorted.length && sorted[i] === t) {
      tp += t
      fp += 1 - t
      i++
    }
    const tpr = tp / totalPos
    const fpr = fp / totalNeg
    area += ((fpr - prevFpr) * (tpr + prevTpr)) / 2
    prevTpr = tpr
    prevFpr = fpr
  }
  return area
}

export { expectedCalibrationError, fitCbpeCalibration, isotonic } from './cbpe-calibration.js'
export type { CalibrationReference, CbpeCalibration } from './cbpe-calibration.js'
