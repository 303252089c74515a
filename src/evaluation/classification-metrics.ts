import { invalidParameter } from '../core/errors.js'
import { checkLabels, checkNotEmpty, checkSameLength, checkWeights, uniqueLabels, weightAt } from './input.js'
import type { Numbers } from './input.js'

/**
 * Label metrics with scikit-learn 1.2's definitions. Labels are class indices; a zero denominator gives
 * `zeroDivision` (scikit-learn's "warn" behaves as 0).
 */
export type Average = 'binary' | 'macro' | 'micro' | 'weighted'

export interface LabelMetricOptions {
  sampleWeight?: Numbers
  /** The labels to score, sorted; default: every label in yTrue or yPred. */
  labels?: readonly number[]
}

export interface PrfOptions extends LabelMetricOptions {
  /** Default: 'binary' when at most two labels occur, else 'macro'. */
  average?: Average
  /** The positive class of `average: 'binary'` (default 1). */
  posLabel?: number
  zeroDivision?: 0 | 1
}

export interface Prf {
  precision: number
  recall: number
  f1: number
  /** Weighted count of rows whose true label is scored. */
  support: number
}

function checkPair(yTrue: Numbers, yPred: Numbers, sampleWeight: Numbers | undefined): void {
  checkNotEmpty('yTrue', yTrue)
  checkSameLength('yPred', yPred, yTrue.length)
  checkLabels('yTrue', yTrue)
  checkLabels('yPred', yPred)
  checkWeights(sampleWeight, yTrue.length)
}

export function accuracy(yTrue: Numbers, yPred: Numbers, options: { sampleWeight?: Numbers } = {}): number {
  const w = options.sampleWeight
  checkPair(yTrue, yPred, w)
  let hit = 0
  let total = 0
  for (let i = 0; i < yTrue.length; i++) {
    const wi = weightAt(w, i)
    if (yTrue[i] === yPred[i]) hit += wi
    total += wi
  }
  return hit / total
}

export interface ConfusionMatrix {
  labels: number[]
  /** Row-major `labels.length²`: rows are true labels, columns predicted labels (weighted counts). */
  matrix: Float64Array
}

export function confusionMatrix(yTrue: Numbers, yPred: Numbers, options: LabelMetricOptions = {}): ConfusionMatrix {
  checkPair(yTrue, yPred, options.sampleWeight)
  const labels = options.labels === undefined ? uniqueLabels(yTrue, yPred) : [...options.labels]
  const k = labels.length
  const position = new Map(labels.map((l, i) => [l, i]))
  const matrix = new Float64Array(k * k)
  for (let i = 0; i < yTrue.length; i++) {
    const t = position.get(yTrue[i]!)
    const p = position.get(yPred[i]!)
    if (t !== undefined && p !== undefined) matrix[t * k + p]! += weightAt(options.sampleWeight, i)
  }
  return { labels, matrix }
}

/** Per-label weighted true positives, predicted counts and true counts. */
function labelSums(yTrue: Numbers, yPred: Numbers, labels: readonly number[], weights: Numbers | undefined) {
  const position = new Map(labels.map((l, i) => [l, i]))
  const tp = new Float64Array(labels.length)
  const pred = new Float64Array(labels.length)
  const truth = new Float64Array(labels.length)
  for (let i = 0; i < yTrue.length; i++) {
    const w = weightAt(weights, i)
    const t = position.get(yTrue[i]!)
    const p = position.get(yPred[i]!)
    if (t !== undefined) truth[t]! += w
    if (p !== undefined) pred[p]! += w
    if (t !== undefined && t === p) tp[t]! += w
  }
  return { tp, pred, truth }
}

function prfFromSums(tp: number, pred: number, truth: number, zeroDivision: number): Omit<Prf, 'support'> {
  const precision = pred === 0 ? zeroDivision : tp / pred
  const recall = truth === 0 ? zeroDivision : tp / truth
  const denominator = precision + recall
  return { precision, recall, f1: denominator === 0 ? 0 : (2 * precision * recall) / denominator }
}

/** Precision, recall and F1 for one average; scikit-learn's `precision_recall_fscore_support`. */
export function precisionRecallF1(yTrue: Numbers, yPred: Numbers, options: PrfOptions = {}): Prf {
  checkPair(yTrue, yPred, options.sampleWeight)
  const present = uniqueLabels(yTrue, yPred)
  const average = options.average ?? (present.length <= 2 ? 'binary' : 'macro')
  const zeroDivision = options.zeroDivision ?? 0
  let labels = options.labels === undefined ? present : [...options.labels]
  if (average === 'binary') {
    if (present.length > 2) {
      throw invalidParameter(`The labels are multiclass (${present.join(', ')}) but average is 'binary'; choose 'macro', 'micro' or 'weighted'.`)
    }
    const posLabel = options.posLabel ?? 1
    if (present.length === 2 && !present.includes(posLabel)) {
      throw invalidParameter(`posLabel ${posLabel} is not one of the labels (${present.join(', ')}); pass one of them.`)
    }
    labels = [posLabel]
  }
  const { tp, pred, truth } = labelSums(yTrue, yPred, labels, options.sampleWeight)
  const k = labels.length
  if (average === 'micro' || average === 'binary') {
    let t = 0
    let p = 0
    let s = 0
    for (let j = 0; j < k; j++) {
      t += tp[j]!
      p += pred[j]!
      s += truth[j]!
    }
    return { ...prfFromSums(t, p, s, zeroDivision), support: s }
  }
  let support = 0
  for (let j = 0; j < k; j++) support += truth[j]!
  if (average === 'weighted' && support === 0) {
    let predicted = 0
    for (let j = 0; j < k; j++) predicted += pred[j]!
    return predicted === 0
      ? { precision: zeroDivision, recall: zeroDivision, f1: zeroDivision, support }
      : { precision: 0, recall: zeroDivision, f1: 0, support }
  }
  let precision = 0
  let recall = 0
  let f1 = 0
  for (let j = 0; j < k; j++) {
    const one = prfFromSums(tp[j]!, pred[j]!, truth[j]!, zeroDivision)
    const weight = average === 'weighted' ? truth[j]! / support : 1 / k
    precision += one.precision * weight
    recall += one.recall * weight
    f1 += one.f1 * weight
  }
  return { precision, recall, f1, support }
}

export const precision = (yTrue: Numbers, yPred: Numbers, options: PrfOptions = {}): number =>
  precisionRecallF1(yTrue, yPred, options).precision
export const recall = (yTrue: Numbers, yPred: Numbers, options: PrfOptions = {}): number =>
  precisionRecallF1(yTrue, yPred, options).recall
export const f1 = (yTrue: Numbers, yPred: Numbers, options: PrfOptions = {}): number =>
  precisionRecallF1(yTrue, yPred, options).f1

export interface ClassReportRow extends Prf {
  label: number
  name: string
}

export interface ClassificationReport {
  classes: ClassReportRow[]
  accuracy: number
  macro: Prf
  weighted: Prf
}

/** scikit-learn's `classification_report(output_dict=True)` with zero_division=0. */
export function classificationReport(
  yTrue: Numbers,
  yPred: Numbers,
  options: LabelMetricOptions & { classNames?: readonly string[] } = {},
): ClassificationReport {
  checkPair(yTrue, yPred, options.sampleWeight)
  const labels = options.labels === undefined ? uniqueLabels(yTrue, yPred) : [...options.labels]
  const { tp, pred, truth } = labelSums(yTrue, yPred, labels, options.sampleWeight)
  const classes = labels.map((label, j) => ({
    label,
    name: options.classNames?.[label] ?? String(label),
    ...prfFromSums(tp[j]!, pred[j]!, truth[j]!, 0),
    support: truth[j]!,
  }))
  const common: PrfOptions = { labels, zeroDivision: 0 }
  if (options.sampleWeight !== undefined) common.sampleWeight = options.sampleWeight
  const accuracyOptions = options.sampleWeight === undefined ? {} : { sampleWeight: options.sampleWeight }
  return {
    classes,
    accuracy: accuracy(yTrue, yPred, accuracyOptions),
    macro: precisionRecallF1(yTrue, yPred, { ...common, average: 'macro' }),
    weighted: precisionRecallF1(yTrue, yPred, { ...common, average: 'weighted' }),
  }
}
