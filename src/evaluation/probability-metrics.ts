import { invalidParameter } from '../core/errors.js'
import { checkLabels, checkNotEmpty, checkWeights, weightAt } from './input.js'
import type { Numbers } from './input.js'

/**
 * Columns of a score array for `n` rows: 1 when it holds one score per row (the positive class of a
 * binary problem), else `k` for a row-major `n × k` matrix such as `Predictor.predictProba` returns.
 */
export function scoreColumns(name: string, scores: Numbers, n: number): number {
  if (scores.length === n) return 1
  const k = scores.length / n
  if (!Number.isInteger(k) || k < 2) {
    throw invalidParameter(`'${name}' has ${scores.length} values for ${n} rows; pass one score per row, or rows × classes probabilities (row-major).`)
  }
  return k
}

function checkProbabilities(name: string, values: Numbers): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!(v >= 0 && v <= 1)) throw invalidParameter(`'${name}' has ${String(v)} at position ${i}; probabilities must be in [0, 1].`)
  }
}

function checkClassRange(yTrue: Numbers, k: number): void {
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i]! >= k) {
      throw invalidParameter(`'yTrue' has class ${yTrue[i]!} at row ${i} but 'proba' has only ${k} columns; pass one probability column per class.`)
    }
  }
}

/** float64 machine epsilon: scikit-learn 1.2's `eps="auto"` for float64 input. */
export const FLOAT64_EPS = 2.220446049250313e-16

/**
 * Cross-entropy as scikit-learn 1.2 computes it: probabilities clipped to [eps, 1 - eps], each row then
 * renormalised to sum to 1. `proba` is one positive-class probability per row, or rows × classes.
 */
export function logLoss(yTrue: Numbers, proba: Numbers, options: { sampleWeight?: Numbers; eps?: number } = {}): number {
  checkNotEmpty('yTrue', yTrue)
  checkLabels('yTrue', yTrue)
  const n = yTrue.length
  const w = options.sampleWeight
  checkWeights(w, n)
  const eps = options.eps ?? FLOAT64_EPS
  const k = scoreColumns('proba', proba, n)
  checkClassRange(yTrue, Math.max(k, 2))
  for (let i = 0; i < proba.length; i++) {
    if (!Number.isFinite(proba[i]!)) throw invalidParameter(`'proba' has ${String(proba[i])} at position ${i}; probabilities must be finite.`)
  }
  const clip = (p: number): number => Math.min(Math.max(p, eps), 1 - eps)
  let sum = 0
  let total = 0
  for (let i = 0; i < n; i++) {
    const label = yTrue[i]!
    let picked: number
    let rowSum: number
    if (k === 1) {
      const p1 = clip(proba[i]!)
      const p0 = 1 - p1
      picked = label === 1 ? p1 : p0
      rowSum = p0 + p1
    } else {
      rowSum = 0
      for (let j = 0; j < k; j++) rowSum += clip(proba[i * k + j]!)
      picked = clip(proba[i * k + label]!)
    }
    const wi = weightAt(w, i)
    sum += -Math.log(picked / rowSum) * wi
    total += wi
  }
  return sum / total
}

/**
 * Brier score. One probability per row: scikit-learn's binary `brier_score_loss` against `posLabel`.
 * Rows × classes: the multiclass form, the mean over rows of the summed squared error of every class.
 */
export function brierScore(yTrue: Numbers, proba: Numbers, options: { sampleWeight?: Numbers; posLabel?: number } = {}): number {
  checkNotEmpty('yTrue', yTrue)
  checkLabels('yTrue', yTrue)
  const n = yTrue.length
  const w = options.sampleWeight
  checkWeights(w, n)
  checkProbabilities('proba', proba)
  const k = scoreColumns('proba', proba, n)
  if (k > 1) checkClassRange(yTrue, k)
  const posLabel = options.posLabel ?? 1
  let sum = 0
  let total = 0
  for (let i = 0; i < n; i++) {
    let error = 0
    if (k === 1) {
      const d = (yTrue[i] === posLabel ? 1 : 0) - proba[i]!
      error = d * d
    } else {
      for (let j = 0; j < k; j++) {
        const d = (yTrue[i] === j ? 1 : 0) - proba[i * k + j]!
        error += d * d
      }
    }
    const wi = weightAt(w, i)
    sum += error * wi
    total += wi
  }
  return sum / total
}
