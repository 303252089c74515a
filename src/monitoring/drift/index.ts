/**
 * Drift detection (issue 6): Evidently's tests, default selection and dataset rule, cross-checked with SciPy.
 * `detectDrift` runs in the calling thread; `DriftPool` / `detectDriftParallel` run numeric columns on worker
 * threads. Every test is usable alone on Float64Arrays (sorted where noted) or category counts.
 */
export { detectDrift, planDriftJobs, summarizeDrift, type DriftOptions, type ColumnDriftOptions } from './dataset-drift.js'
export { DriftPool, detectDriftParallel } from './drift-pool.js'
export { DRIFT_TESTS } from './registry.js'
export { defaultDriftTest, SMALL_REFERENCE_ROWS } from './select.js'
export { isDrifted, type DriftTest, type TestOutcome } from './drift-test.js'
export { NumericPair, categoricalCounts, numericCounts, finiteValues, type CountsPair } from './samples.js'
export { binnedShares, sturgesEdges, histogram, fillZeroShares, type BinnedShares } from './binning.js'
export { ksStatistic, ksTwoSample } from './ks.js'
export { chiSquareTest } from './chisquare.js'
export { zTest } from './z.js'
export { wassersteinDistance, populationStd } from './wasserstein.js'
export { jensenShannonDistance } from './jensenshannon.js'
export { psiValue } from './psi.js'
export { klDivergence } from './kl-div.js'
export { hellingerCounts, hellingerNumeric } from './hellinger.js'
export { runNumericColumn, runCountsColumn } from './column-drift.js'
