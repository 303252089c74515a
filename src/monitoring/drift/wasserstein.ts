import type { DriftTest } from './drift-test.js'

/**
 * `scipy.stats.wasserstein_distance(a, b)` on sorted samples: ∫|F_a − F_b| over the pooled values, in one
 * merge pass (no pooled copy).
 */
export function wassersteinDistance(a: Float64Array, b: Float64Array): number {
  const n1 = a.length
  const n2 = b.length
  let i = 0
  let j = 0
  let sum = 0
  let comp = 0 // Neumaier compensation: 2M terms, so the sum stays at numpy's pairwise accuracy
  let prev = Math.min(a[0]!, b[0]!)
  while (i < n1 || j < n2) {
    const z = i < n1 && (j >= n2 || a[i]! <= b[j]!) ? a[i]! : b[j]!
    if (i + j > 0) {
      const term = Math.abs(i / n1 - j / n2) * (z - prev)
      const t = sum + term
      comp += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum
      sum = t
    }
    while (i < n1 && a[i] === z) i++
    while (j < n2 && b[j] === z) j++
    prev = z
  }
  return sum + comp
}

/** Population standard deviation (np.std), two passes. */
export function populationStd(values: Float64Array): number {
  let mean = 0
  for (let i = 0; i < values.length; i++) mean += values[i]!
  mean /= values.length
  let ss = 0
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean
    ss += d * d
  }
  return Math.sqrt(ss / values.length)
}

/** Evidently's normed Wasserstein: W1(ref, cur) / max(std(ref), 0.001). */
export const wasserstein: DriftTest = {
  name: 'wasserstein',
  scoreKind: 'distance',
  defaultThreshold: 0.1,
  appliesTo: ['numeric'],
  rule: '>=',
  numeric: (pair) => ({
    score: wassersteinDistance(pair.referenceSorted, pair.currentSorted) / Math.max(populationStd(pair.reference), 0.001),
  }),
}
