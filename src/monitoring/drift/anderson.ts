import { andersonKsamp2 } from '../stats/anderson.js'
import type { DriftTest } from './drift-test.js'

/** Evidently's anderson: `anderson_ksamp([ref, cur]).significance_level` (SciPy clamps it to [0.001, 0.25]). */
export const anderson: DriftTest = {
  name: 'anderson',
  scoreKind: 'p_value',
  defaultThreshold: 0.1,
  appliesTo: ['numeric'],
  rule: '<',
  numeric: (pair) => ({ score: andersonKsamp2(pair.referenceSorted, pair.currentSorted).significance }),
}
