import type { ColumnKind, DriftTestName } from '../types.js'
import type { CountsPair, NumericPair } from './samples.js'

/** What one test returns for one column; the caller applies the threshold. */
export interface TestOutcome {
  score: number
  histogram?: { bins: Array<number | string>; reference: number[]; current: number[] }
}

/**
 * A registered drift test (Evidently's StatTest): its score, default threshold and drift rule as coded in
 * Evidently (reference/monitoring.md §1.4), and how it runs on numeric values and/or category counts.
 * A numeric column given to a counts-only test is compared on its distinct values' counts.
 */
export interface DriftTest {
  name: DriftTestName
  scoreKind: 'p_value' | 'distance'
  defaultThreshold: number
  /** Column kinds the test accepts. */
  appliesTo: readonly ColumnKind[]
  /** Evidently's operator: ks uses p ≤ thr, the other p-value tests p < thr, the distances d ≥ thr. */
  rule: '<' | '<=' | '>='
  numeric?: (pair: NumericPair) => TestOutcome
  counts?: (counts: CountsPair) => TestOutcome
}

export function isDrifted(test: Pick<DriftTest, 'rule'>, score: number, threshold: number): boolean {
  if (Number.isNaN(score)) return false
  switch (test.rule) {
    case '<':
      return score < threshold
    case '<=':
      return score <= threshold
    case '>=':
      return score >= threshold
  }
}

export function sharesHistogram(bins: Array<number | string>, reference: Float64Array, current: Float64Array): NonNullable<TestOutcome['histogram']> {
  return { bins, reference: Array.from(reference), current: Array.from(current) }
}
