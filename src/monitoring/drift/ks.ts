import { ks2sampPValue } from '../stats/kolmogorov.js'
import type { DriftTest } from './drift-test.js'

/**
 * Two-sample Kolmogorov–Smirnov statistic on sorted samples: the largest |F_ref − F_cur| over the pooled
 * values, each CDF evaluated after all ties at a value (SciPy's searchsorted 'right'), in the same floating
 * point expression (i/n1 − j/n2) SciPy uses, so the lattice rounding of the exact path matches.
 */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  const n1 = a.length
  const n2 = b.length
  let i = 0
  let j = 0
  let maxS = Number.NEGATIVE_INFINITY
  let minS = Number.POSITIVE_INFINITY
  while (i < n1 || j < n2) {
    const z = i < n1 && (j >= n2 || a[i]! <= b[j]!) ? a[i]! : b[j]!
    while (i < n1 && a[i] === z) i++
    while (j < n2 && b[j] === z) j++
    const diff = i / n1 - j / n2
    if (diff > maxS) maxS = diff
    if (diff < minS) minS = diff
  }
  const minNeg = Math.min(Math.max(-minS, 0), 1)
  return minNeg > maxS ? minNeg : maxS
}

/** SciPy `ks_2samp(ref, cur)` two-sided p-value, method 'auto' (exact up to 10,000 rows per sample). */
export function ksTwoSample(a: Float64Array, b: Float64Array): { statistic: number; pValue: number; method: 'exact' | 'asymp' } {
  const statistic = ksStatistic(a, b)
  const { pValue, method } = ks2sampPValue(a.length, b.length, statistic)
  return { statistic, pValue, method }
}

export const ks: DriftTest = {
  name: 'ks',
  scoreKind: 'p_value',
  defaultThreshold: 0.05,
  appliesTo: ['numeric'],
  rule: '<=',
  numeric: (pair) => ({ score: ksTwoSample(pair.referenceSorted, pair.currentSorted).pValue }),
}
