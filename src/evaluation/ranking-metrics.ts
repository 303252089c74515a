import { invalidParameter } from '../core/errors.js'
import { checkLabels, checkNotEmpty, checkWeights, weightAt } from './input.js'
import type { Numbers } from './input.js'
import { scoreColumns } from './probability-metrics.js'

/**
 * Threshold metrics (ROC AUC, average precision) as scikit-learn 1.2 computes them: rows sorted by score,
 * tied scores grouped into one threshold, so ties never depend on row order.
 */
export interface RankingOptions {
  sampleWeight?: Numbers
  /** Binary: the positive class (default 1). */
  posLabel?: number
  /** Multiclass (rows × classes scores): one-vs-rest 'macro' (default) or 'weighted' by class support. */
  average?: 'macro' | 'weighted'
}

interface Curve {
  fps: Float64Array
  tps: Float64Array
  size: number
}

/** Cumulative false and true positives at each distinct score, highest score first. */
function binaryCurve(isPositive: (i: number) => boolean, score: (i: number) => number, n: number, weights: Numbers | undefined): Curve {
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const s = score(i)
    if (!Number.isFinite(s)) throw invalidParameter(`The scores have ${String(s)} at row ${i}; scores must be finite.`)
    order[i] = i
  }
  order.sort((a, b) => score(b) - score(a))
  const fps = new Float64Array(n)
  const tps = new Float64Array(n)
  let size = 0
  let tp = 0
  let fp = 0
  for (let r = 0; r < n; r++) {
    const i = order[r]!
    const w = weightAt(weights, i)
    if (isPositive(i)) tp += w
    else fp += w
    if (r === n - 1 || score(order[r + 1]!) !== score(i)) {
      tps[size] = tp
      fps[size] = fp
      size++
    }
  }
  return { fps, tps, size }
}

function rocAucOfCurve(curve: Curve, what: string): number {
  const { fps, tps, size } = curve
  const negatives = fps[size - 1]!
  const positives = tps[size - 1]!
  if (negatives === 0 || positives === 0) {
    throw invalidParameter(`Only one class is present in yTrue${what}; ROC AUC is not defined then. Evaluate on data that has both classes (use a stratified split).`)
  }
  let area = 0
  let x0 = 0
  let y0 = 0
  for (let j = 0; j < size; j++) {
    const x = fps[j]! / negatives
    const y = tps[j]! / positives
    area += ((x - x0) * (y + y0)) / 2
    x0 = x
    y0 = y
  }
  return area
}

function averagePrecisionOfCurve(curve: Curve): number {
  const { fps, tps, size } = curve
  const positives = tps[size - 1]!
  let ap = 0
  let previousRecall = 0
  for (let j = 0; j < size; j++) {
    const predicted = tps[j]! + fps[j]!
    const precision = predicted === 0 ? 0 : tps[j]! / predicted
    // scikit-learn sets recall to 1 everywhere when there are no positives.
    const r = positives === 0 ? 1 : tps[j]! / positives
    ap += (r - previousRecall) * precision
    previousRecall = r
  }
  return ap
}

function rowSumsToOne(scores: Numbers, n: number, k: number): void {
  for (let i = 0; i < n; i++) {
    let s = 0
    for (let j = 0; j < k; j++) s += scores[i * k + j]!
    // numpy.allclose(1, s): |s - 1| <= 1e-8 + 1e-5 * |s|
    if (!(Math.abs(s - 1) <= 1e-8 + 1e-5 * Math.abs(s))) {
      throw invalidParameter(`The probabilities of row ${i} sum to ${s}, not 1; multiclass ROC AUC needs predictProba output.`)
    }
  }
}

function score(
  metric: (curve: Curve, what: string) => number,
  yTrue: Numbers,
  scores: Numbers,
  options: RankingOptions,
  requireProbabilities: boolean,
): number {
  checkNotEmpty('yTrue', yTrue)
  checkLabels('yTrue', yTrue)
  const n = yTrue.length
  const w = options.sampleWeight
  checkWeights(w, n)
  const k = scoreColumns('scores', scores, n)
  if (k <= 2) {
    const posLabel = options.posLabel ?? 1
    const column = k === 1 ? 0 : posLabel
    if (k === 2 && posLabel !== 0 && posLabel !== 1) throw invalidParameter(`posLabel ${posLabel} is not a column of the 2-column scores; use 0 or 1.`)
    for (let i = 0; i < n; i++) {
      if (yTrue[i]! > 1 && k === 2) throw invalidParameter(`'yTrue' has class ${yTrue[i]!} at row ${i} but the scores have 2 columns.`)
    }
    return metric(binaryCurve((i) => yTrue[i] === posLabel, (i) => scores[i * k + column]!, n, w), '')
  }
  if (requireProbabilities) rowSumsToOne(scores, n, k)
  const support = new Float64Array(k)
  for (let i = 0; i < n; i++) {
    const c = yTrue[i]!
    if (c >= k) throw invalidParameter(`'yTrue' has class ${c} at row ${i} but the scores have ${k} columns; pass one column per class.`)
    support[c]! += weightAt(w, i)
  }
  let sum = 0
  let totalWeight = 0
  for (let c = 0; c < k; c++) {
    const value = metric(binaryCurve((i) => yTrue[i] === c, (i) => scores[i * k + c]!, n, w), ` for class ${c} against the rest`)
    const weight = options.average === 'weighted' ? support[c]! : 1
    sum += value * weight
    totalWeight += weight
  }
  return sum / totalWeight
}

/** ROC AUC: binary (one score per row, or two columns), or multiclass one-vs-rest over rows × classes probabilities. */
export function rocAuc(yTrue: Numbers, scores: Numbers, options: RankingOptions = {}): number {
  return score(rocAucOfCurve, yTrue, scores, options, true)
}

/** PR AUC as scikit-learn's `average_precision_score` (not interpolated); multiclass is one-vs-rest. */
export function averagePrecision(yTrue: Numbers, scores: Numbers, options: RankingOptions = {}): number {
  return score(averagePrecisionOfCurve, yTrue, scores, options, false)
}
