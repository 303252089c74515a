import { normalCdf } from '../stats/normal.js'
import type { DriftTest } from './drift-test.js'
import type { CountsPair } from './samples.js'

/**
 * Evidently's two-proportion z-test (for binary columns): the share of the first category in each sample,
 * P = (p1·n1 + p2·n2)/(n1 + n2), z = (p1 − p2)/√(P(1−P)(1/n1 + 1/n2)), p = 2·(1 − Φ(|z|)). p = 1 when both
 * samples hold the same single value. Which category counts as "first" does not change a two-sided p.
 */
export function zTest(counts: CountsPair): { statistic: number; pValue: number } {
  const n1 = counts.referenceTotal
  const n2 = counts.currentTotal
  const k = counts.reference.length
  if (k === 1) return { statistic: 0, pValue: 1 }
  const p1 = counts.reference[0]! / n1
  const p2 = counts.current[0]! / n2
  const P = (p1 * n1 + p2 * n2) / (n1 + n2)
  const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / n1 + 1 / n2))
  return { statistic: z, pValue: 2 * (1 - normalCdf(Math.abs(z))) }
}

export const z: DriftTest = {
  name: 'z',
  scoreKind: 'p_value',
  defaultThreshold: 0.05,
  appliesTo: ['categorical', 'numeric'],
  rule: '<',
  counts: (counts) => ({ score: zTest(counts).pValue }),
}
