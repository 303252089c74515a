import { invalidParameter } from '../core/errors.js'

/** Inputs arrive as typed arrays (or plain arrays in tests); every metric reads them through this. */
export type Numbers = ArrayLike<number>

export function checkSameLength(name: string, values: Numbers, expected: number, expectedName = 'yTrue'): void {
  if (values.length !== expected) {
    throw invalidParameter(`'${name}' has ${values.length} values but '${expectedName}' has ${expected}; pass one per row.`)
  }
}

export function checkFinite(name: string, values: Numbers): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw invalidParameter(`'${name}' has ${String(values[i])} at row ${i}; drop or impute rows whose ${name} is missing or infinite.`)
    }
  }
}

export function checkNotEmpty(name: string, values: Numbers): void {
  if (values.length === 0) throw invalidParameter(`'${name}' is empty; metrics need at least one row.`)
}

/** Sample weights: finite, non-negative, one per row, not all zero. Undefined means all 1. */
export function checkWeights(weights: Numbers | undefined, n: number): void {
  if (weights === undefined) return
  checkSameLength('sampleWeight', weights, n)
  let total = 0
  for (let i = 0; i < n; i++) {
    const w = weights[i]!
    if (!Number.isFinite(w) || w < 0) {
      throw invalidParameter(`'sampleWeight' has ${String(w)} at row ${i}; weights must be finite and non-negative.`)
    }
    total += w
  }
  if (total === 0) throw invalidParameter("'sampleWeight' sums to 0; at least one row needs a positive weight.")
}

/** Class labels are small non-negative integers (indices into a classifier's `classes`). */
export function checkLabels(name: string, values: Numbers): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isInteger(v) || v < 0) {
      throw invalidParameter(`'${name}' has ${String(v)} at row ${i}; class labels must be integer class indices (0, 1, ...).`)
    }
  }
}

/** Sorted distinct labels of one or more label arrays (scikit-learn's `unique_labels`). */
export function uniqueLabels(...arrays: Numbers[]): number[] {
  const seen = new Set<number>()
  for (const a of arrays) for (let i = 0; i < a.length; i++) seen.add(a[i]!)
  return [...seen].sort((x, y) => x - y)
}

export const weightAt = (weights: Numbers | undefined, i: number): number => (weights === undefined ? 1 : weights[i]!)

/** Weighted mean; callers have checked the weights. */
export function weightedMean(values: Numbers, weights: Numbers | undefined): number {
  let sum = 0
  let total = 0
  for (let i = 0; i < values.length; i++) {
    const w = weightAt(weights, i)
    sum += values[i]! * w
    total += w
  }
  return sum / total
}
