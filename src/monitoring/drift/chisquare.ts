import { chi2Sf } from '../stats/gamma.js'
import type { DriftTest } from './drift-test.js'
import type { CountsPair } from './samples.js'

/**
 * Evidently's chi-square: `scipy.stats.chisquare(f_obs=current counts, f_exp=reference counts · n_cur/n_ref)`
 * over the union of categories, df = categories − 1. A category the reference never saw has f_exp = 0, so the
 * statistic is ∞ and p = 0 (scipy's result too).
 */
export function chiSquareTest(counts: CountsPair): { statistic: number; pValue: number } {
  const k = counts.reference.length
  const norm = counts.currentTotal / counts.referenceTotal
  let statistic = 0
  for (let i = 0; i < k; i++) {
    const expected = counts.reference[i]! * norm
    const observed = counts.current[i]!
    const d = observed - expected
    statistic += expected === 0 ? (d === 0 ? Number.NaN : Number.POSITIVE_INFINITY) : (d * d) / expected
  }
  const df = k - 1
  if (df < 1) return { statistic, pValue: Number.NaN }
  const pValue = Number.isNaN(statistic) ? Number.NaN : statistic === Number.POSITIVE_INFINITY ? 0 : chi2Sf(statistic, df)
  return { statistic, pValue }
}

export const chisquare: DriftTest = {
  name: 'chisquare',
  scoreKind: 'p_value',
  defaultThreshold: 0.05,
  appliesTo: ['categorical', 'numeric'],
  rule: '<',
  counts: (counts) => ({ score: chiSquareTest(counts).pValue }),
}
