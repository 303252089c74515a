import type { ColumnKind, DriftTestName } from '../types.js'

/** Above this many reference rows Evidently switches from p-value tests to distances (§1.2). */
export const SMALL_REFERENCE_ROWS = 1000

/**
 * Evidently's default test (`registry.py:_get_default_stattest`): `referenceRows` = reference rows after
 * dropping missing values, `uniqueValues` = distinct values of reference ∪ current.
 *
 * | kind        | n_ref ≤ 1000                                   | n_ref > 1000                          |
 * | numeric     | > 5 unique: ks; 3–5: chisquare; ≤ 2: z          | > 5 unique: wasserstein; else jensenshannon |
 * | categorical | > 2 unique: chisquare; ≤ 2: z                   | jensenshannon                         |
 */
export function defaultDriftTest(kind: ColumnKind, referenceRows: number, uniqueValues: number): DriftTestName {
  const small = referenceRows <= SMALL_REFERENCE_ROWS
  if (kind === 'numeric') {
    if (uniqueValues > 5) return small ? 'ks' : 'wasserstein'
    if (!small) return 'jensenshannon'
    return uniqueValues > 2 ? 'chisquare' : 'z'
  }
  if (!small) return 'jensenshannon'
  return uniqueValues > 2 ? 'chisquare' : 'z'
}

/** Distinct values that decide the default: 6 is enough to tell every case apart. */
export const SELECTION_UNIQUE_CAP = 6

/**
 * Evidently's type inference for numbers (`infer_column_type`): floats are numeric; integers with at most 10
 * distinct values and booleans are categorical.
 */
export const INTEGER_CARDINALITY_LIMIT = 10
