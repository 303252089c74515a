import { checkFinite, checkNotEmpty, checkSameLength, checkWeights, weightAt } from './input.js'
import type { Numbers } from './input.js'
import { FLOAT64_EPS } from './probability-metrics.js'

/** Regression metrics with scikit-learn 1.2's definitions (sample weights where it takes them). */
export interface RegressionOptions {
  sampleWeight?: Numbers
}

function check(yTrue: Numbers, yPred: Numbers, weights: Numbers | undefined): void {
  checkNotEmpty('yTrue', yTrue)
  checkSameLength('yPred', yPred, yTrue.length)
  checkFinite('yTrue', yTrue)
  checkFinite('yPred', yPred)
  checkWeights(weights, yTrue.length)
}

function weightedMeanOf(n: number, weights: Numbers | undefined, term: (i: number) => number): number {
  let sum = 0
  let total = 0
  for (let i = 0; i < n; i++) {
    const w = weightAt(weights, i)
    sum += term(i) * w
    total += w
  }
  return sum / total
}

export function meanAbsoluteError(yTrue: Numbers, yPred: Numbers, options: RegressionOptions = {}): number {
  check(yTrue, yPred, options.sampleWeight)
  return weightedMeanOf(yTrue.length, options.sampleWeight, (i) => Math.abs(yPred[i]! - yTrue[i]!))
}

export function meanSquaredError(yTrue: Numbers, yPred: Numbers, options: RegressionOptions = {}): number {
  check(yTrue, yPred, options.sampleWeight)
  return weightedMeanOf(yTrue.length, options.sampleWeight, (i) => (yTrue[i]! - yPred[i]!) ** 2)
}

export function rootMeanSquaredError(yTrue: Numbers, yPred: Numbers, options: RegressionOptions = {}): number {
  return Math.sqrt(meanSquaredError(yTrue, yPred, options))
}

/** R²; a constant yTrue gives 1 when predicted exactly, else 0 (scikit-learn's force_finite). */
export function r2Score(yTrue: Numbers, yPred: Numbers, options: RegressionOptions = {}): number {
  const w = options.sampleWeight
  check(yTrue, yPred, w)
  const n = yTrue.length
  const mean = weightedMeanOf(n, w, (i) => yTrue[i]!)
  let numerator = 0
  let denominator = 0
  for (let i = 0; i < n; i++) {
    const wi = weightAt(w, i)
    numerator += wi * (yTrue[i]! - yPred[i]!) ** 2
    denominator += wi * (yTrue[i]! - mean) ** 2
  }
  if (denominator === 0) return numerator === 0 ? 1 : 0
  return 1 - numerator / denominator
}

/** MAPE as a fraction (not a percentage); |yTrue| is floored at machine epsilon as scikit-learn does. */
export function meanAbsolutePercentageError(yTrue: Numbers, yPred: Numbers, options: RegressionOptions = {}): number {
  check(yTrue, yPred, options.sampleWeight)
  return weightedMeanOf(yTrue.length, options.sampleWeight, (i) => Math.abs(yPred[i]! - yTrue[i]!) / Math.max(Math.abs(yTrue[i]!), FLOAT64_EPS))
}

export function maxError(yTrue: Numbers, yPred: Numbers): number {
  check(yTrue, yPred, undefined)
  let max = 0
  for (let i = 0; i < yTrue.length; i++) max = Math.max(max, Math.abs(yTrue[i]! - yPred[i]!))
  return max
}
